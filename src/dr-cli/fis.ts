import { GetExperimentCommand, StartExperimentCommand, StopExperimentCommand, type FisClient } from '@aws-sdk/client-fis';

/** Thin adapters over AWS FIS for `drill --inject fis`: start the site's template, read its state, stop it. */

export interface ExperimentView {
  readonly id: string;
  /** pending | initiating | running | completed | stopping | stopped | failed | cancelled */
  readonly status: string;
  readonly reason?: string;
  readonly startTime?: string;
}

const view = (e: { id?: string; state?: { status?: string; reason?: string }; startTime?: Date } | undefined, fallbackId = ''): ExperimentView => ({
  id: e?.id ?? fallbackId,
  status: e?.state?.status ?? 'unknown',
  ...(e?.state?.reason ? { reason: e.state.reason } : {}),
  ...(e?.startTime ? { startTime: new Date(e.startTime).toISOString() } : {}),
});

/** Starts an experiment from `templateId`; `clientToken` makes a retried start idempotent. */
export async function startExperiment(fis: FisClient, templateId: string, clientToken: string, tags: Record<string, string>): Promise<ExperimentView> {
  const out = await fis.send(new StartExperimentCommand({ experimentTemplateId: templateId, clientToken, tags }));
  return view(out.experiment);
}

export async function getExperiment(fis: FisClient, id: string): Promise<ExperimentView> {
  const out = await fis.send(new GetExperimentCommand({ id }));
  return view(out.experiment, id);
}

export async function stopExperiment(fis: FisClient, id: string): Promise<ExperimentView> {
  const out = await fis.send(new StopExperimentCommand({ id }));
  return view(out.experiment, id);
}

/** States after which FIS injects nothing more (and has rolled its changes back or is doing so). */
export const FINISHED = new Set(['completed', 'stopped', 'failed', 'cancelled']);
