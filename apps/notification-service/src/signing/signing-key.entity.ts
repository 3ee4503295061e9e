import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';

/**
 * A service-wide JWS signing key. At most one row has no `retired_at` (the newest key, enforced
 * by a partial unique index). A key is published in the JWKS from its creation, signs from
 * `activates_at` (a rotation sets it one JWKS cache lifetime ahead, and retires the previous key
 * at that moment), and stays published until `expires_at` so messages signed before still verify.
 */
@Entity({ schema: 'notifications', name: 'signing_keys' })
export class SigningKeyEntity {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  algorithm!: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: JWK;

  /** The private JWK as JSON, sealed with SecretBox. */
  @Column({ name: 'private_jwk_encrypted', type: 'text' })
  privateJwkEncrypted!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the key starts signing: its creation for the first key, one JWKS cache lifetime after a rotation. */
  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt!: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
