import { ProvenanceStepInputSchema } from '../../events';
import { stepHandler } from '../../shared/lambda/step-handler';
import { observability } from '../../shared/observability';
import { recordProvenance } from '../../shared/provenance/record';
import { awsProvenanceDeps } from '../../shared/provenance/wiring';

const o11y = observability();
const deps = awsProvenanceDeps(o11y);

/** RecordProvenance: hashes the build's artifacts, signs their SLSA provenance, pins it on the run. */
export const handler = stepHandler(o11y, ProvenanceStepInputSchema, ({ plan, build, execution }) =>
  recordProvenance(deps, plan, build.id, execution),
);
