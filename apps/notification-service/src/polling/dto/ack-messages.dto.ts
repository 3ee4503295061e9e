import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID, ValidateNested } from 'class-validator';
import { MAX_ACK_MESSAGES } from '../poll-options';

export class AckMessageInfoDto {
  @ApiProperty({ format: 'uuid', description: 'messageInfo.messageId of a received message' })
  @IsUUID('all', { message: 'messageIdentifier must be a message id (UUID)' })
  messageIdentifier!: string;
}

export class AckMessagesDto {
  @ApiProperty({ type: [AckMessageInfoDto], minItems: 1, maxItems: MAX_ACK_MESSAGES })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_ACK_MESSAGES) @ValidateNested({ each: true }) @Type(() => AckMessageInfoDto)
  messageInfos!: AckMessageInfoDto[];
}
