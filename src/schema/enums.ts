// The GraphQL enums that mirror the data model: their values come from the Prisma schema's
// enums (and, for job states, from the lifecycle table), never from a second list here.
import { JOB_STATES } from "../domain/jobs/lifecycle.ts";
import * as model from "../generated/prisma/enums.ts";
import { builder } from "./builder.ts";

const valuesOf = <T extends Record<string, string>>(prismaEnum: T) =>
  Object.values(prismaEnum) as Array<T[keyof T]>;

export const JobState = builder.enumType("JobState", { values: JOB_STATES });
export const ExecutorKind = builder.enumType("ExecutorKind", {
  values: valuesOf(model.ExecutorKind),
});
export const TenantStatus = builder.enumType("TenantStatus", {
  values: valuesOf(model.TenantStatus),
});
export const MemberRole = builder.enumType("MemberRole", { values: valuesOf(model.MemberRole) });
export const SortOrder = builder.enumType("SortOrder", { values: valuesOf(model.SortOrder) });
export const LeaderboardVisibility = builder.enumType("LeaderboardVisibility", {
  values: valuesOf(model.LeaderboardVisibility),
});
