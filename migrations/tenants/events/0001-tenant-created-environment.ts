/**
 * TENANT_CREATED v1 -> v2: v2 added `environment`. Every tenant created before environments existed was a
 * production tenant, so v1 events read as `prod`. Stored v1 events are never rewritten: this runs on read.
 */
export interface TenantCreatedV1Data {
  tenantId: string;
  organizationName: string;
  contactEmail: string;
}

export function tenantCreatedV1ToV2(
  data: TenantCreatedV1Data,
): TenantCreatedV1Data & { environment: 'prod' } {
  return { ...data, environment: 'prod' };
}
