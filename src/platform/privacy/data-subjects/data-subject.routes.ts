import type { Principal } from '#src/platform/auth/principal.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { ForbiddenError, NotFoundError } from '#src/platform/domain/errors.js';
import { runCommand } from '#src/platform/http/command.js';
import { type HttpRequest, parseBody, parseWith } from '#src/platform/http/http-handler.js';
import { newUlid } from '#src/platform/http/ids.js';
import type { Route } from '#src/platform/http/route.js';
import type { SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import { type DataSubjectAccessDependencies, exportSubject, findSubject } from './access.js';
import { type DataSubjectState, dataSubjectDecider, type ErasureState } from './data-subject.decider.js';
import {
  ErasureBody,
  ErasureRequestedView,
  FindSubjectQuery,
  FoundSubjectView,
  SubjectExportView,
  SubjectParams,
} from './data-subject.schemas.js';
import { dataSubjectStream } from './data-subject.stream.js';

export interface DataSubjectApiDependencies extends DataSubjectAccessDependencies {
  runner: CommandRunner;
  keys: Pick<SubjectKeys, 'subjectIdOf' | 'held'>;
}

type Deps = DataSubjectApiDependencies;

const BASE = '/v1.0/data-subjects';
const subjectPath = (subjectId: string) => `${BASE}/${subjectId}`;

/** Personal data of anyone is the platform administrators' alone: not operators', not tenants'. */
function requireAdmin(principal: Principal): void {
  if (!principal.platformRoles.includes('Admin'))
    throw new ForbiddenError('only Admin may see or erase personal data');
}

const subjectOf = (request: HttpRequest) => parseWith(SubjectParams, request.params, 'subjectId').subjectId;

export const erasureView = (erasure: ErasureState) => ({
  erasureId: erasure.erasureId,
  requestedAt: erasure.requestedAt,
  requestedBy: erasure.requestedBy,
  reason: erasure.reason,
  status: erasure.status,
  streams: { marked: erasure.marked, total: erasure.total },
  ...(erasure.completedAt ? { completedAt: erasure.completedAt } : {}),
  ...(erasure.downstream ? { downstream: erasure.downstream } : {}),
});

/**
 * The data-subject routes (issue 9): find a person by e-mail (only their subject id comes back), export
 * everything the platform holds about them (POPIA's right of access), and erase them. Admin only; every answer
 * names only the person asked about.
 */
export const dataSubjectRoutes: Route<Deps>[] = [
  {
    method: 'GET',
    path: BASE,
    summary: 'Find a data subject by e-mail: their subject id, or 404 (Admin)',
    query: FindSubjectQuery,
    response: { status: 200, schema: FoundSubjectView },
    handle: async (request, deps) => {
      requireAdmin(request.principal);
      const { email } = parseWith(FindSubjectQuery, request.query, 'query');
      const subjectId = await findSubject(deps, email);
      if (!subjectId) throw new NotFoundError('data subject not found');
      return { status: 200, body: { subjectId, _links: { self: { href: subjectPath(subjectId) } } } };
    },
  },
  {
    method: 'GET',
    path: `${BASE}/{subjectId}`,
    summary: 'Everything the platform holds about a data subject, decrypted, and their erasures (Admin)',
    response: { status: 200, schema: SubjectExportView },
    handle: async (request, deps) => {
      requireAdmin(request.principal);
      const subjectId = subjectOf(request);
      const found = await exportSubject(deps, subjectId);
      if (!found) throw new NotFoundError('data subject not found');
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: {
          ...found,
          erasures: found.erasures.map(erasureView),
          _links: {
            self: { href: subjectPath(subjectId) },
            erasure: { href: `${subjectPath(subjectId)}/erasure` },
          },
        },
      };
    },
  },
  {
    method: 'POST',
    path: `${BASE}/{subjectId}/erasure`,
    summary: "Erase a data subject: their key now, every stream's marker and downstream copies after (Admin)",
    body: ErasureBody,
    response: { status: 202, schema: ErasureRequestedView },
    handle: async (request, deps) => {
      requireAdmin(request.principal);
      const subjectId = subjectOf(request);
      const { reason } = parseBody(request, ErasureBody);
      const erasureId = newUlid();
      const keyHeld = await deps.keys.held(subjectId);
      return runCommand(deps.runner, request, {
        decider: dataSubjectDecider,
        streamId: dataSubjectStream.id(subjectId),
        command: {
          type: 'RequestErasure',
          erasureId,
          subjectId,
          reason,
          requestedBy: request.principal.sub,
          keyHeld,
        },
        eraseKeys: [subjectId],
        respond: ({ state }) => ({
          status: 202,
          headers: { location: subjectPath(subjectId) },
          body: erasureAnswer(subjectId, state, erasureId),
        }),
      });
    },
  },
];

function erasureAnswer(subjectId: string, state: DataSubjectState, erasureId: string) {
  const erasure = state.erasures.find((e) => e.erasureId === erasureId);
  if (!erasure) throw new Error(`erasure ${erasureId} is not in the state it was decided into`);
  return { subjectId, erasure: erasureView(erasure), _links: { self: { href: subjectPath(subjectId) } } };
}
