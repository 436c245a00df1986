import { streamCategory } from '#src/platform/domain/stream-id.js';

/** A data subject's own stream, `datasubject-<subjectId>`: their erasures (it holds no personal data). */
export const dataSubjectStream = streamCategory('datasubject', { maxLength: 29, field: 'subjectId' });
