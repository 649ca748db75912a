// A small typed client of the Follow-up Actions Survey API, as a front end or a partner
// system would write it. Every path, parameter, body and response below is checked by
// the TypeScript compiler against the types generated from ../openapi.json.

import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type Workshop = Schemas["Workshop"];
export type WorkshopRequest = Schemas["WorkshopRequest"];
export type Problem = Schemas["Problem"];
export type FiscalYear = Schemas["FiscalYear"];
export type SurveyClient = Client<paths>;

/** An `application/problem+json` answer, with the fields that failed validation. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail ?? ""}`);
  }

  get fields(): string[] {
    return (this.problem.errors ?? []).map((error) => error.field);
  }
}

function orThrow<T>(result: { data?: T; error?: Problem }): T {
  if (result.error !== undefined) {
    throw new ProblemError(result.error);
  }
  if (result.data === undefined) {
    throw new Error("the response had no body");
  }
  return result.data;
}

export function surveyClient(baseUrl: string, apiKey: string): SurveyClient {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
  });
}

/** Workshops of one fiscal year, newest first, one page. */
export async function workshopsOf(client: SurveyClient, fiscalYear: FiscalYear, page = 1) {
  const result = await client.GET("/v1/workshops", {
    params: { query: { fiscal_year: fiscalYear, sort: "-start_date", page, per_page: 50 } },
  });
  const listing = orThrow(result);
  return { workshops: listing.items, total: listing.total };
}

/** Adds a workshop; retrying with the same key never adds it twice. */
export async function addWorkshop(
  client: SurveyClient,
  workshop: WorkshopRequest,
  idempotencyKey: string = crypto.randomUUID(),
): Promise<Workshop> {
  const result = await client.POST("/v1/workshops", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: workshop,
  });
  return orThrow(result);
}

/** Renames a workshop unless someone else changed it since it was read (then 412). */
export async function renameWorkshop(client: SurveyClient, id: number, title: string) {
  const read = await client.GET("/v1/workshops/{id}", { params: { path: { id } } });
  const current = orThrow(read);
  const etag = read.response.headers.get("ETag") ?? "*";
  const changed: WorkshopRequest = {
    title,
    topic: current.topic,
    scope: current.scope,
    start_date: current.start_date,
    end_date: current.end_date,
    venue: current.venue ?? null,
    is_virtual: current.is_virtual,
    excluded_from_survey: current.excluded_from_survey,
  };
  const written = await client.PUT("/v1/workshops/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: changed,
  });
  if (written.response.status === 412) {
    return { conflict: true as const };
  }
  return { conflict: false as const, workshop: orThrow(written) };
}

/** Table 1 of a round: reply rates per scope, and the total beside the previous round's. */
export async function replyRates(client: SurveyClient, roundId: number) {
  const rates = orThrow(
    await client.GET("/v1/rounds/{id}/analytics/reply-rates", {
      params: { path: { id: roundId } },
    }),
  );
  return {
    byScope: rates.subtotals.map((subtotal) => ({
      scope: subtotal.scope,
      replied: subtotal.rate.count,
      invited: subtotal.base,
    })),
    totalPercent: rates.total.percent,
    previousTotalPercent: rates.previous?.rate.percent ?? null,
  };
}

/** Registers a partner endpoint for replies; keep the secret to check signatures. */
export async function subscribeToReplies(client: SurveyClient, url: string) {
  const created = orThrow(
    await client.POST("/v1/webhooks", {
      body: {
        url,
        event_types: ["reply.submitted", "reply.revised"],
        audience: "partner",
      },
    }),
  );
  return { id: created.id, secret: created.secret };
}
