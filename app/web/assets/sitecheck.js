// The site check page with JavaScript: upload progress, the plan's totals, a chart per media
// type, a sortable table of the files and a download of the precompressed variants. Without
// JavaScript the form posts to `site` and the server answers with the plan's page instead.
// Every URL is relative to the page, so it works under any mount prefix.
"use strict";
(() => {
  const form = document.getElementById("sitecheck");
  const out = document.getElementById("site-results");
  if (!form || !out) return;
  const NS = "http://www.w3.org/2000/svg";
  const make = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  };
  const svg = (tag, attrs, ...children) => {
    const node = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    node.append(...children);
    return node;
  };
  const bytes = (n) => n.toLocaleString("en");
  const saving = (n, of) => (of ? `${(100 * (1 - n / of)).toFixed(1)}%` : "—");

  // POST `body`; resolves with the XHR once the answer is in, whatever its status.
  const post = (url, body, type, onProgress) =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.responseType = type;
      xhr.setRequestHeader("Accept", type === "json" ? "application/json" : "*/*");
      if (onProgress) xhr.upload.addEventListener("progress", onProgress);
      xhr.addEventListener("load", () => resolve(xhr));
      xhr.addEventListener("error", () => reject(new Error("The connection failed.")));
      xhr.send(body);
    });

  // The detail of an RFC 9457 problem answer, or the status line.
  const failure = async (xhr) => {
    let problem = xhr.response;
    if (problem instanceof Blob) {
      try {
        problem = JSON.parse(await problem.text());
      } catch {
        problem = null;
      }
    }
    const detail = problem && (problem.detail || problem.title);
    return new Error(detail || `The server answered ${xhr.status} ${xhr.statusText}.`);
  };
  const showError = (error) => out.replaceChildren(make("p", { class: "error", role: "alert" }, error.message));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = new FormData(form);
    const bar = make("progress", { max: 1, value: 0, id: "site-progress" });
    const label = make("span", {}, " uploading");
    out.replaceChildren(make("p", {}, bar, label));
    const onProgress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = e.loaded / e.total;
      label.textContent = e.loaded < e.total
        ? ` uploading: ${Math.round((100 * e.loaded) / e.total)} %`
        : " measuring every file…";
    };
    try {
      const xhr = await post("site", input, "json", onProgress);
      if (xhr.status !== 200) throw await failure(xhr);
      show(xhr.response, input);
    } catch (error) {
      showError(error);
    }
  });

  const PLANS = [
    ["identity", "as it is", "#999"],
    ["typical_server", "typical server", "#d9822b"],
    ["dynamic", "dynamic plan", "#5b8def"],
    ["static", "static plan", "#2e9d5b"],
  ];

  const totalsTable = (t) => {
    const rows = [...PLANS.map(([key, name]) => [name, t[key]])];
    if (t.returning !== null) rows.push(["returning visitor (dcz)", t.returning]);
    return make("table", { id: "site-totals" },
      make("tr", {}, make("th", {}, "serving"), make("th", {}, "bytes"), make("th", {}, "saving"),
        make("th", {}, "vs typical")),
      ...rows.map(([name, n]) => make("tr", {}, make("td", {}, name), make("td", {}, bytes(n)),
        make("td", {}, saving(n, t.identity)), make("td", {}, saving(n, t.typical_server)))));
  };

  // One group of bars per media type: its bytes as it is and under each plan.
  const chart = (types) => {
    const shown = types.slice(0, 10);
    const most = Math.max(1, ...shown.map((t) => t.identity));
    const row = 12, gap = 10, left = 150, width = 560;
    const height = shown.length * (PLANS.length * row + gap) + 24;
    const bars = [];
    shown.forEach((type, i) => {
      const top = i * (PLANS.length * row + gap);
      bars.push(svg("text", { x: 0, y: top + 2 * row, "font-size": 11, fill: "currentColor" },
        type.media_type.slice(0, 24)));
      PLANS.forEach(([key, name, colour], j) => {
        const w = Math.max(1, ((width - left - 70) * type[key]) / most);
        bars.push(svg("rect", { x: left, y: top + j * row, width: w, height: row - 2, fill: colour },
          svg("title", {}, `${type.media_type}, ${name}: ${bytes(type[key])} bytes`)));
        bars.push(svg("text", { x: left + w + 4, y: top + j * row + 9, "font-size": 9,
          fill: "currentColor" }, bytes(type[key])));
      });
    });
    const legendTop = height - 10;
    PLANS.forEach(([, name, colour], j) => {
      bars.push(svg("rect", { x: left + j * 110, y: legendTop - 8, width: 10, height: 10, fill: colour }));
      bars.push(svg("text", { x: left + j * 110 + 14, y: legendTop, "font-size": 11,
        fill: "currentColor" }, name));
    });
    return svg("svg", { id: "site-chart", viewBox: `0 0 ${width} ${height}`, width: "100%",
      role: "img", "aria-label": "Bytes per media type under each plan" }, ...bars);
  };

  const COLUMNS = [
    ["path", (f) => f.path],
    ["type", (f) => f.media_type],
    ["size", (f) => f.size],
    ["static", (f) => f.static.method],
    ["static bytes", (f) => f.static.size],
    ["dynamic", (f) => f.dynamic.method],
    ["dynamic bytes", (f) => f.dynamic.size],
    ["note", (f) => f.skipped || ""],
  ];

  const fileTable = (files) => {
    const body = make("tbody");
    let order = { column: 2, descending: true };
    const fill = () => {
      const [, value] = COLUMNS[order.column];
      const sorted = [...files].sort((a, b) => {
        const x = value(a), y = value(b);
        const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return order.descending ? -c : c;
      });
      body.replaceChildren(...sorted.map((f) => make("tr", {},
        ...COLUMNS.map(([, v]) => {
          const cell = v(f);
          return make("td", {}, typeof cell === "number" ? bytes(cell) : cell);
        }))));
    };
    const head = make("tr", {}, ...COLUMNS.map(([name], i) => {
      const button = make("button", { type: "button" }, name);
      button.addEventListener("click", () => {
        order = { column: i, descending: order.column === i ? !order.descending : i >= 2 && i % 2 === 0 };
        fill();
      });
      return make("th", {}, button);
    }));
    fill();
    return make("div", { class: "scroll" }, make("table", { id: "site-files" }, make("thead", {}, head), body));
  };

  const download = async (input, button) => {
    button.disabled = true;
    try {
      const xhr = await post("site/precompressed", input, "blob");
      if (xhr.status !== 200) throw await failure(xhr);
      const link = make("a", { href: URL.createObjectURL(xhr.response), download: "precompressed.zip" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (error) {
      out.append(make("p", { class: "error", role: "alert" }, error.message));
    } finally {
      button.disabled = false;
    }
  };

  const show = (report, input) => {
    const t = report.totals;
    const button = make("button", { type: "button", id: "site-download" },
      "Download the precompressed variants (.zip)");
    button.addEventListener("click", () => download(input, button));
    const parts = [
      make("h2", {}, "The plan"),
      make("p", {}, `${bytes(t.files)} files, ${bytes(t.identity)} bytes, planned in ` +
        `${(report.elapsed_ms / 1000).toFixed(1)} s. Typical server: ${report.typical_server}.`),
      totalsTable(t),
      make("h2", {}, "By media type"),
      chart(report.by_media_type),
      make("h2", {}, "Files"),
      fileTable(report.files),
      make("p", {}, button),
    ];
    if (report.cuts.length) {
      parts.push(make("h2", {}, `Cut by the time budget (${report.cuts.length})`),
        make("ul", { id: "site-cuts" }, ...report.cuts.slice(0, 200).map((c) =>
          make("li", {}, `${c.path}: ${c.candidate}: ${c.reason}`))));
    }
    out.replaceChildren(...parts);
  };
})();
