import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Transfer, type TransferStatus } from './transfer.schema';

@Injectable()
export class TransfersRepository {
  constructor(@InjectModel(Transfer.name) private readonly model: Model<Transfer>) {}

  async insert(t: Transfer): Promise<void> {
    await this.model.create(t);
  }

  findById(id: string): Promise<Transfer | null> {
    return this.model.findById(id).lean<Transfer>().exec();
  }

  /** Transfers left `pending` (a crash between the record and the source's decrement). */
  findPending(createdBefore: Date, limit: number): Promise<Transfer[]> {
    return this.model.find({ status: 'pending', createdAt: { $lt: createdBefore } }).limit(limit).lean<Transfer[]>().exec();
  }

  /** Moves the status forward only from the expected one; returns the transfer as it now is. */
  async advance(id: string, from: TransferStatus, to: TransferStatus, set: Partial<Transfer>): Promise<Transfer | null> {
    await this.model.updateOne({ _id: id, status: from }, { $set: { ...set, status: to } });
    return this.findById(id);
  }
}
