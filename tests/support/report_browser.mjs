// Loads report pages in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) and prints, as one JSON line per page, what a
// test needs to judge them: console messages, page errors, every request
// the page made, and whether sorting and filtering the table of largest
// flows worked. Saves a full-page screenshot of each.
//
//   node tests/support/report_browser.mjs PAGE.html SHOT.png [PAGE2.html SHOT2.png ...]
//
// NWCAP_CHROMIUM overrides the browser path.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const pairs = process.argv.slice(2);
if (pairs.length === 0 || pairs.length % 2 !== 0) {
  console.error("usage: report_browser.mjs PAGE.html SHOT.png [...]");
  process.exit(2);
}

// The flags that keep Chromium from calling out on this machine's closed
// network (updates, sync, safe browsing...), as root and without a GPU.
const browser = await chromium.launch({
  executablePath: process.env.NWCAP_CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  for (let i = 0; i < pairs.length; i += 2) {
    const [page_path, shot] = [pairs[i], pairs[i + 1]];
    const url = pathToFileURL(page_path).href;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const out = { page: page_path, console: [], errors: [], requests: [] };
    page.on("console", (m) => out.console.push({ type: m.type(), text: m.text() }));
    page.on("pageerror", (e) => out.errors.push(String(e)));
    context.on("request", (r) => out.requests.push(r.url()));
    await page.goto(url, { waitUntil: "load" });
    out.title = await page.title();
    out.svgs = await page.locator("svg").count();
    // The table of largest flows: sort by bytes (ascending, then
    // descending), then filter by the first row's responder address.
    if ((await page.locator("#largest").count()) > 0) {
      const bytes = () =>
        page.$$eval("#largest tbody tr:not([hidden])", (rows) =>
          rows.map((r) => Number(r.cells[13].getAttribute("data-v"))),
        );
      const header = page.locator("#largest th", { hasText: /^wire_bytes$/ });
      await header.click();
      const asc = await bytes();
      await header.click();
      const desc = await bytes();
      const sorted = (v, f) => v.every((x, k) => k === 0 || f(v[k - 1], x));
      out.sort_ascending = asc.length > 1 && sorted(asc, (a, b) => a <= b);
      out.sort_descending = desc.length > 1 && sorted(desc, (a, b) => a >= b);
      const needle = await page.$eval("#largest tbody tr td:nth-child(7)", (c) => c.textContent);
      await page.fill("#flow-filter", needle);
      const shown = await page.$$eval("#largest tbody tr:not([hidden])", (rows) =>
        rows.map((r) => r.textContent),
      );
      out.filter_rows = shown.length;
      out.filter_ok = shown.length > 0 && shown.every((t) => t.includes(needle));
      out.filter_count = await page.$eval("#flow-count", (e) => e.textContent);
      await page.fill("#flow-filter", "");
    }
    await page.screenshot({ path: shot, fullPage: true });
    // The page itself is the one file:// request; anything else is a call out.
    out.requests = out.requests.filter((r) => r !== url);
    console.log(JSON.stringify(out));
    await context.close();
  }
} finally {
  await browser.close();
}
