/**
 * A client generated from openapi.yaml, used as an application would, against a live server.
 *
 * Run by tests/test_sdk_typescript.py: `node dist/smoke.js BASE_URL`. It type-checks without a
 * cast (the contract types every answer it reads) and exits 1 on any mismatch, naming each.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const SUBJECT = "north-korean-troops-in-russia";
const KILLED_NEWEST_FIRST = [600, 300, 100];

const baseUrl = process.argv[2];
if (baseUrl === undefined) {
  console.error("usage: node dist/smoke.js BASE_URL");
  process.exit(2);
}
const client = createClient<paths>({ baseUrl });
const failures: string[] = [];

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  const [got, want] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (got !== want) {
    failures.push(`${what}: expected ${want}, got ${got}`);
  }
}

async function filteredFacts(): Promise<void> {
  const { data, error } = await client.GET("/v1/facts", {
    params: { query: { subject: [SUBJECT], measure: ["killed"] } },
  });
  if (data === undefined) {
    failures.push(`listFacts with filters failed: ${JSON.stringify(error)}`);
    return;
  }
  expectEqual("killed values", data.items.map((fact) => fact.value), KILLED_NEWEST_FIRST);
  expectEqual("first value", data.items[0]?.value, KILLED_NEWEST_FIRST[0]);
  expectEqual("one page holds them all", data.next_page_token, null);
}

async function pageWalk(): Promise<void> {
  const whole = await client.GET("/v1/facts", { params: { query: { page_size: 500 } } });
  if (whole.data === undefined) {
    failures.push(`listFacts in one page failed: ${JSON.stringify(whole.error)}`);
    return;
  }
  const walked: string[] = [];
  let token: string | null = null;
  do {
    const query: { page_size: number; page_token?: string } =
      token === null ? { page_size: 2 } : { page_size: 2, page_token: token };
    const { data, error } = await client.GET("/v1/facts", { params: { query } });
    if (data === undefined) {
      failures.push(`listFacts page ${walked.length / 2 + 1} failed: ${JSON.stringify(error)}`);
      return;
    }
    walked.push(...data.items.map((fact) => fact.id));
    token = data.next_page_token;
  } while (token !== null && walked.length <= whole.data.items.length);
  expectEqual("pages of 2 walked", walked, whole.data.items.map((fact) => fact.id));
}

async function oneFact(): Promise<void> {
  const { data, error } = await client.GET("/v1/facts/{fact_id}", {
    params: { path: { fact_id: "nis-2025-01-killed" } },
  });
  if (data === undefined) {
    failures.push(`getFact failed: ${JSON.stringify(error)}`);
    return;
  }
  expectEqual("getFact", [data.id, data.measure, data.value], ["nis-2025-01-killed", "killed", 300]);
}

async function notFound(): Promise<void> {
  const { data, error, response } = await client.GET("/v1/facts/{fact_id}", {
    params: { path: { fact_id: "no-such-fact" } },
  });
  expectEqual("getFact of an unknown id: no data", data, undefined);
  expectEqual("its status", response.status, 404);
  expectEqual("its media type", response.headers.get("Content-Type"), "application/problem+json");
  expectEqual("its problem", [error?.type, error?.status], ["/problems/not-found", 404]);
}

async function csvExport(): Promise<void> {
  const { data, error } = await client.GET("/v1/facts.csv", {
    params: { query: { subject: [SUBJECT], measure: ["killed"] } },
    parseAs: "text",
  });
  if (data === undefined) {
    failures.push(`listFactsCsv failed: ${JSON.stringify(error)}`);
    return;
  }
  const [header = [], ...rows] = parseCsv(data);
  const valueColumn = header.indexOf("value");
  expectEqual("CSV has a value column", valueColumn >= 0, true);
  expectEqual("CSV values", rows.map((row) => Number(row[valueColumn])), KILLED_NEWEST_FIRST);
}

/** Rows of RFC 4180 CSV: claims and notes hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n") {
      rows.push([...row, field.replace(/\r$/, "")]);
      [row, field] = [[], ""];
    } else {
      field += char;
    }
  }
  if (field !== "" || row.length > 0) {
    rows.push([...row, field]);
  }
  return rows;
}

for (const check of [filteredFacts, pageWalk, oneFact, notFound, csvExport]) {
  try {
    await check();
  } catch (exception) {
    failures.push(`${check.name} threw: ${String(exception)}`);
  }
}
if (failures.length > 0) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("smoke: every check passed");
