// CompressTest in the browser: the home page's form, upgraded. No framework, no other origin.
// Upload with a progress bar, a spinner while the server works, then the results in place: a
// table that sorts by any column, a download per row, and the charts of charts.js (ratio
// against compress speed, time to deliver), which this script loads.
// Whatever came from the user or the server enters the page as text (textContent and
// setAttribute), never as markup. Without this script the form posts and gets an HTML page.
"use strict";
(() => {
  // Every URL here is relative to the page, so it works under any mount prefix (/v1/ too).
  const form = document.querySelector("form[action='compress']");
  if (!form || !window.FormData) return;

  // charts.js, by this script's own URL and version (app/tinysite/script.py): one deploy's pair.
  // It loads while the user picks a file; a report waits for it, and does without on failure.
  const here = document.currentScript.src;
  const chartsScript = document.createElement("script");
  chartsScript.src = new URL("charts.js" + new URL(here).search, here).href;
  const charts = new Promise((resolve) => {
    chartsScript.addEventListener("load", () => resolve(window.CompressTestCharts || null));
    chartsScript.addEventListener("error", () => resolve(null));
  });
  document.head.append(chartsScript);

  const build = (node, attributes, children) => {
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    node.append(...children); // strings become text nodes
    return node;
  };
  const make = (tag, attributes, ...children) =>
    build(document.createElement(tag), attributes, children);
  const svg = (tag, attributes, ...children) =>
    build(document.createElementNS("http://www.w3.org/2000/svg", tag), attributes, children);

  const grouped = (n) => n.toLocaleString("en");
  const labelOf = (r) => `${r.codec} ${r.level}`;
  // Three significant figures at most, as the server's page writes them: 1,234 56.7 8.90 0.12
  const speed = (v) => (v >= 100 ? grouped(Math.round(v)) : v.toFixed(v >= 10 ? 1 : 2));
  // Two results' speeds in a phase ("compress" or "decompress") are equal within the noise of
  // their own runs when each one's fastest run is no slower than the other's median run: their
  // spans [fastest, median] overlap. The server's rule too (app/engine/job_timing.py).
  const tied = (a, b, phase) =>
    a[`${phase}_ms`] <= b[`${phase}_ms_median`] && b[`${phase}_ms`] <= a[`${phase}_ms_median`];
  const TIE = "≈";
  // charts.js builds its elements with these same helpers (it runs after this script).
  window.CompressTestDom = { make, svg, grouped, speed, tied, TIE };
  // [key, heading, text of a value, the order the first click sorts in (1 ascending)]
  const COLUMNS = [
    ["codec", "codec", String, 1],
    ["level", "level", String, 1],
    ["size", "size", grouped, 1],
    ["ratio", "ratio", (x) => x.toFixed(2), -1],
    ["saving", "saving", (x) => (x === null ? "—" : x.toFixed(1) + " %"), -1],
    ["compress_mbps", "compress MB/s", speed, -1],
    ["decompress_mbps", "decompress MB/s", speed, -1],
    ["verified", "verified", (v) => (v ? "yes" : "NO"), 1],
  ];

  const status = make("div", { id: "status", role: "status" });
  const results = make("section", { id: "results" });
  form.after(status, results);
  const show = (...children) => status.replaceChildren(...children);
  const showError = (error) => show(make("p", { class: "error" }, error.message));

  const spinner = () =>
    svg("svg", { width: 18, height: 18, viewBox: "0 0 20 20", id: "spinner" },
      svg("circle", { cx: 10, cy: 10, r: 8, fill: "none", stroke: "currentColor",
                      "stroke-width": 3, "stroke-dasharray": "30 20" },
        svg("animateTransform", { attributeName: "transform", type: "rotate",
                                  from: "0 10 10", to: "360 10 10", dur: "0.8s",
                                  repeatCount: "indefinite" })));

  // POST `body`; resolves with the XHR once the whole answer is in, whatever its status.
  const post = (url, body, responseType, onProgress, onUploaded) =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.responseType = responseType;
      xhr.setRequestHeader("Accept", responseType === "json" ? "application/json" : "*/*");
      if (onProgress) xhr.upload.addEventListener("progress", onProgress);
      if (onUploaded) xhr.upload.addEventListener("load", onUploaded);
      xhr.addEventListener("load", () => resolve(xhr));
      xhr.addEventListener("error", () => reject(new Error("The connection failed.")));
      xhr.send(body);
    });

  // The published upload limit (MAX_UPLOAD_BYTES), which the page states; checked here first,
  // so a file over it never travels.
  const limit = Number(form.dataset.maxUpload) || Infinity;
  const mib = (n) => `${grouped(n)} bytes (${+(n / 1048576).toFixed(2)} MiB)`;
  const inputBytes = (input) => {
    let total = 0;
    for (const value of input.values()) {
      total += typeof value === "string" ? new Blob([value]).size : value.size;
    }
    return total;
  };

  // What a status means when the answer is no problem body: the gateways' own answers
  // (docs/api.md). The HTTP API's are {"message": ...}; over 10 MB API Gateway sends text.
  const GATEWAY_ANSWERS = {
    413: () => `The upload is larger than the service accepts: at most ${mib(limit)}.`,
    429: () => "The service is busy: it takes a few uploads a second from everyone together.",
    500: () => "The service failed on this request. Try again.",
    502: () => "The service failed on this request. Try again.",
    503: () => "The service did not answer in time (or is unavailable). Try again; a smaller file finishes sooner.",
    504: () => "The service did not answer within the 29 seconds the gateway waits. Try again; a smaller file finishes sooner.",
  };

  // The detail of an RFC 9457 problem answer, the gateway's answer in words, or the status
  // line; a 429 says how long to wait (Retry-After, in seconds).
  const failure = async (xhr) => {
    let problem = xhr.response;
    if (problem instanceof Blob) {
      try {
        problem = JSON.parse(await problem.text());
      } catch {
        problem = null;
      }
    }
    const isProblem = problem && typeof problem === "object" && typeof problem.type === "string";
    const known = GATEWAY_ANSWERS[xhr.status];
    let message = (isProblem && (problem.detail || problem.title)) ||
      (known && known()) || `The server answered ${xhr.status} ${xhr.statusText}.`;
    if (xhr.status === 429) {
      const wait = Number(xhr.getResponseHeader("Retry-After")) || 1;
      message += ` Try again in ${wait} s.`;
    }
    return new Error(message);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The page keeps the input: the downloads post it again, as the server keeps nothing.
    const input = new FormData(form);
    const size = inputBytes(input);
    if (size > limit) {
      results.replaceChildren();
      showError(new Error(`The file and text come to ${mib(size)}; the service takes at most ` +
        `${mib(limit)} in all. Nothing was sent.`));
      return;
    }
    const bar = make("progress", { max: 1, value: 0 });
    const label = make("span", {}, " uploading");
    show(make("p", {}, bar, label));
    results.replaceChildren();
    const onProgress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = e.loaded / e.total;
      label.textContent = ` uploading: ${Math.round((100 * e.loaded) / e.total)} %`;
    };
    const onUploaded = () => show(make("p", {}, spinner(), " compressing with every codec…"));
    try {
      const xhr = await post("compress", input, "json", onProgress, onUploaded);
      if (xhr.status !== 200) throw await failure(xhr);
      const drawing = await charts;
      show();
      showReport(xhr.response, input, drawing);
    } catch (error) {
      showError(error);
    }
  });

  const showReport = (report, input, drawing) => {
    const name = report.input.filename === null ? "your text" : report.input.filename;
    const parts = [
      make("h2", {}, "How small ", make("q", { id: "filename" }, name), " gets"),
      make("p", {}, `${grouped(report.input.size)} bytes, SHA-256 `,
        make("code", { id: "sha256" }, report.input.sha256), "."),
    ];
    const dictionary = report.dictionary;
    if (dictionary) {
      const against = dictionary.filename === null ? "your text" : dictionary.filename;
      parts.push(make("p", {}, "dcz rows: against the dictionary ",
        make("q", { id: "dictionary-name" }, against),
        `, ${grouped(dictionary.size)} bytes; their sizes include dcz's 40-byte header.`));
    }
    if (report.results.length) {
      parts.push(sortableTable(report.results, input), make("p", { class: "note" },
        `${TIE}: as fast as the row above within the noise of their own runs (each one's ` +
        "fastest run no slower than the other's median run)."));
      if (drawing) {
        parts.push(drawing.sizeSpeedChart(report.results), drawing.deliverySection(report));
      }
    } else {
      parts.push(make("p", {}, "No job finished, so there is nothing to compare."));
    }
    if (report.skipped.length) {
      const items = report.skipped.map((job) =>
        make("li", {}, `${job.codec} ${job.level}: ${job.reason}`));
      parts.push(make("h3", {}, "Skipped"), make("ul", { id: "skipped" }, ...items));
    }
    results.replaceChildren(...parts);
  };

  const sortableTable = (rows, input) => {
    const order = { key: "size", direction: 1 };
    const body = make("tbody");
    const headings = COLUMNS.map(([key, , , firstDirection]) => {
      const button = make("button", { type: "button" });
      button.addEventListener("click", () => {
        order.direction = order.key === key ? -order.direction : firstDirection;
        order.key = key;
        render();
      });
      return make("th", { "data-key": key }, button);
    });
    const render = () => {
      const { key, direction } = order;
      const sorted = rows
        .map((row, index) => [row, index])
        .sort(([a, i], [b, j]) =>
          a[key] < b[key] ? -direction : a[key] > b[key] ? direction : i - j)
        .map(([row]) => row);
      COLUMNS.forEach(([columnKey, heading], index) => {
        const th = headings[index];
        const arrow = direction > 0 ? " ▲" : " ▼";
        th.firstChild.textContent = columnKey === key ? heading + arrow : heading;
        if (columnKey !== key) th.removeAttribute("aria-sort");
        else th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      });
      body.replaceChildren(...sorted.map((row, i) => tableRow(row, input, sorted[i - 1])));
    };
    render();
    const head = make("thead", {}, make("tr", {}, ...headings, make("th", {}, "download")));
    return make("div", { class: "scroll" }, make("table", { id: "results-table" }, head, body));
  };

  // A speed equal to the row above's within the noise of their runs is marked ≈ (`tied`).
  const SPEED_PHASES = { compress_mbps: "compress", decompress_mbps: "decompress" };
  const tableRow = (row, input, above) => {
    const cells = COLUMNS.map(([key, , text]) => {
      const phase = SPEED_PHASES[key];
      const cell = make("td", { "data-key": key, "data-value": String(row[key]) });
      if (phase && above && tied(row, above, phase)) {
        cell.classList.add("tie");
        cell.title = `as fast as the row above (${labelOf(above)}) within the noise of their runs`;
        cell.append(make("span", { class: "tie-mark" }, TIE + " "));
      }
      cell.append(text(row[key]));
      return cell;
    });
    const button = make("button", { type: "button" }, "download");
    button.addEventListener("click", () => download(row, input, button));
    return make("tr", {}, ...cells, make("td", {}, button));
  };

  // RFC 6266: filename*=UTF-8''… when the name is not ASCII, else filename="…".
  const savedName = (disposition) => {
    const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    if (extended) return decodeURIComponent(extended[1]);
    const plain = /filename="([^"]*)"/i.exec(disposition);
    return plain ? plain[1] : "compressed";
  };

  const download = async (row, input, button) => {
    button.disabled = true;
    try {
      const query = `level=${encodeURIComponent(row.level)}`;
      const xhr = await post(`compress/${encodeURIComponent(row.codec)}?${query}`, input, "blob");
      if (xhr.status !== 200) throw await failure(xhr);
      const name = savedName(xhr.getResponseHeader("Content-Disposition") || "");
      const link = make("a", { href: URL.createObjectURL(xhr.response), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  };
})();
