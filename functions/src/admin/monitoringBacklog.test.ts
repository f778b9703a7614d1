import { describe, expect, it } from 'vitest';
import { CloudMonitoringBacklog, type MonitoringRequest } from './monitoringBacklog.ts';

const now = () => new Date('2026-03-01T12:00:00.000Z');

function backlogFrom(request: MonitoringRequest) {
  return new CloudMonitoringBacklog({
    projectId: 'acme-prod',
    subscription: 'events-process',
    request,
    now,
  });
}

describe('the backlog from Cloud Monitoring', () => {
  it('asks for the subscription’s undelivered messages over the last ten minutes', async () => {
    const urls: string[] = [];
    await backlogFrom((url) => {
      urls.push(url);
      return Promise.resolve({ status: 200, data: {} });
    }).backlog();
    const url = new URL(urls[0]!);
    expect(url.origin + url.pathname).toBe(
      'https://monitoring.googleapis.com/v3/projects/acme-prod/timeSeries',
    );
    expect(url.searchParams.get('filter')).toBe(
      'metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND resource.labels.subscription_id="events-process"',
    );
    expect(url.searchParams.get('interval.startTime')).toBe('2026-03-01T11:50:00.000Z');
    expect(url.searchParams.get('interval.endTime')).toBe('2026-03-01T12:00:00.000Z');
  });

  it('reports the newest point', async () => {
    const data = {
      timeSeries: [
        {
          points: [
            { interval: { endTime: '2026-03-01T11:59:00Z' }, value: { int64Value: '42' } },
            { interval: { endTime: '2026-03-01T11:58:00Z' }, value: { int64Value: '7' } },
          ],
        },
      ],
    };
    expect(await backlogFrom(() => Promise.resolve({ status: 200, data })).backlog()).toEqual({
      messages: 42,
      sampledAt: '2026-03-01T11:59:00Z',
    });
  });

  it.each([
    ['no sample', () => Promise.resolve({ status: 200, data: { timeSeries: [] } }), /no sample/],
    ['a refusal', () => Promise.resolve({ status: 403, data: {} }), /answered 403/],
    ['a network error', () => Promise.reject(new Error('ECONNRESET')), /ECONNRESET/],
  ])('says why the backlog is unknown on %s', async (_, request, reason) => {
    const backlog = await backlogFrom(request).backlog();
    expect(backlog.messages).toBeNull();
    expect(backlog.reason).toMatch(reason);
  });
});
