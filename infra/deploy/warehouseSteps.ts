/** The warehouse datasets, readable or writable by the accounts that need it, and their tables. */
import { warehouseTables } from '../spec.ts';
import { provisionStep, type DeployStep } from './deployStep.ts';
import { accountsFor, serviceAccountEmail } from './principals.ts';

/** Every dataset the warehouse tables live in, each once. */
export function warehouseDatasets(): string[] {
  return [...new Set(warehouseTables.map((table) => table.dataset))];
}

export function warehouseSteps(target: { project: string; region: string }): DeployStep[] {
  const { project, region } = target;
  const steps: DeployStep[] = [];
  for (const dataset of warehouseDatasets()) {
    steps.push(
      provisionStep(
        { type: 'dataset', name: dataset },
        {
          location: region,
          access: [
            ...accountsFor((fn) => fn.warehouse === 'write').map((a) => ({
              role: 'WRITER',
              userByEmail: serviceAccountEmail(a, project),
            })),
            ...accountsFor((fn) => fn.warehouse === 'read').map((a) => ({
              role: 'READER',
              userByEmail: serviceAccountEmail(a, project),
            })),
          ],
        },
      ),
    );
  }
  for (const table of warehouseTables) {
    steps.push(
      provisionStep(
        { type: 'table', name: `${table.dataset}.${table.name}` },
        {
          description: table.description,
          schema: table.columns,
          timePartitioning: { type: table.partition.type, field: table.partition.field },
          clustering: table.clustering,
        },
      ),
    );
  }
  return steps;
}
