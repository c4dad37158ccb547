import { AppError } from '@weft/schema';
import type { Page, PageResult, Run } from './types.js';

/** A company's named list of email addresses that `notify` steps and run-failure emails reach. */
export interface NotificationGroup {
  id: string;
  companyId: string;
  /** Unique per company (case-insensitive); steps and the trigger's `notify_on_failure` name groups by it. */
  name: string;
  emails: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NotificationGroupInput {
  name: string;
  emails: string[];
}

/** Notification groups, and the parent ↔ child links of runs started by `run_flow` steps. */
export interface NotificationStoreMethods {
  /** Throws AppError CONFLICT when the company has a group of that name (case-insensitive). */
  createNotificationGroup(companyId: string, input: NotificationGroupInput): Promise<NotificationGroup>;
  getNotificationGroup(companyId: string, groupId: string): Promise<NotificationGroup | undefined>;
  /** The group with this name (case-insensitive), or undefined. */
  findNotificationGroup(companyId: string, name: string): Promise<NotificationGroup | undefined>;
  /** Ordered by name. */
  listNotificationGroups(companyId: string, page: Page): Promise<PageResult<NotificationGroup>>;
  /** Throws AppError CONFLICT when the new name is another group's. */
  updateNotificationGroup(
    companyId: string,
    groupId: string,
    patch: Partial<NotificationGroupInput>,
  ): Promise<NotificationGroup | undefined>;
  deleteNotificationGroup(companyId: string, groupId: string): Promise<boolean>;
  /** The runs whose parent is this run, oldest first; [] for an unknown run or another company's. */
  listChildRuns(companyId: string, parentRunId: string): Promise<Run[]>;
}

export function notificationGroupNameTaken(name: string): AppError {
  return new AppError('CONFLICT', `A notification group named "${name}" exists already; choose another name.`, {
    details: { name: ['is taken by another notification group'] },
  });
}
