import { z } from 'zod';

/** Query parameters and answers of the metrics routes, for the OpenAPI document. */

const day = (description: string) => z.string().optional().describe(description);

export const metricsQueryDocs = z.object({
  date: day('One UTC day, YYYY-MM-DD; today when no date is given.'),
  from: day('First day of a range (YYYY-MM-DD), with `to`; at most 366 days.'),
  to: day('Last day of the range, included.'),
  eventType: z.string().optional().describe('Only this event type (zero on days without it).'),
});

export const statsQueryDocs = z.object({
  siteId: z.string().describe('Required.'),
  date: day('One UTC day, YYYY-MM-DD; today when neither a date nor a range is given.'),
  from: day('First day of a range (YYYY-MM-DD), with `to`; at most 366 days.'),
  to: day('Last day of the range, included.'),
});

export const sitesQueryDocs = z.object({
  date: day('One UTC day, YYYY-MM-DD.'),
  from: day('First day of a range (YYYY-MM-DD), with `to`; the last 30 days when none is given.'),
  to: day('Last day of the range, included.'),
});

const typeCountSchema = z.object({ eventType: z.string(), count: z.number().int() });
const pathViewsSchema = z.object({ path: z.string(), views: z.number().int() });

export const metricsAnswerSchema = z.object({
  count: z.number().int().describe('Days listed.'),
  data: z.array(z.object({ date: z.string(), metrics: z.array(typeCountSchema) })),
});

export const siteDayStatsSchema = z.object({
  siteId: z.string(),
  date: z.string(),
  totalViews: z.number().int(),
  uniqueUsers: z.number().int(),
  topPaths: z.array(pathViewsSchema),
});

export const siteRangeStatsSchema = z.object({
  siteId: z.string(),
  from: z.string(),
  to: z.string(),
  totalViews: z.number().int(),
  uniqueUsers: z.number().int().describe('Distinct users over the whole range.'),
  topPaths: z.array(pathViewsSchema),
  days: z.array(
    z.object({ date: z.string(), totalViews: z.number().int(), uniqueUsers: z.number().int() }),
  ),
});

export const sitesAnswerSchema = z.object({
  from: z.string(),
  to: z.string(),
  count: z.number().int(),
  truncated: z.boolean().describe('Whether more sites than the list holds were seen.'),
  sites: z.array(
    z.object({
      siteId: z.string(),
      events: z.number().int(),
      views: z.number().int().describe('Page views (`page.viewed`, `page_view`).'),
      lastSeen: z.string().describe('The last UTC day in the range with an event.'),
    }),
  ),
});
