// CompressTest in the browser: the home page's form, upgraded. No framework, no other origin.
// Upload with a progress bar, a spinner while the server works, then the results in place: a
// table that sorts by any column, ratio against compress speed on a chart, a download per row.
// Whatever came from the user or the server enters the page as text (textContent and
// setAttribute), never as markup. Without this script the form posts and gets an HTML page.
"use strict";
(() => {
  // Every URL here is relative to the page, so it works under any mount prefix (/v1/ too).
  const form = document.querySelector("form[action='compress']");
  if (!form || !window.FormData) return;

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
  // Three significant figures at most, as the server's page writes them: 1,234 56.7 8.90 0.12
  const speed = (v) => (v >= 100 ? grouped(Math.round(v)) : v.toFixed(v >= 10 ? 1 : 2));
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
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e67300", "#8c564b", "#d6359a"];

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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The page keeps the input: the downloads post it again, as the server keeps nothing.
    const input = new FormData(form);
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
      show();
      showReport(xhr.response, input);
    } catch (error) {
      showError(error);
    }
  });

  const showReport = (report, input) => {
    const name = report.input.filename === null ? "your text" : report.input.filename;
    const parts = [
      make("h2", {}, "How small ", make("q", { id: "filename" }, name), " gets"),
      make("p", {}, `${grouped(report.input.size)} bytes, SHA-256 `,
        make("code", { id: "sha256" }, report.input.sha256), "."),
    ];
    if (report.results.length) {
      parts.push(sortableTable(report.results, input), chart(report.results));
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
      body.replaceChildren(...sorted.map((row) => tableRow(row, input)));
    };
    render();
    const head = make("thead", {}, make("tr", {}, ...headings, make("th", {}, "download")));
    return make("div", { class: "scroll" }, make("table", { id: "results-table" }, head, body));
  };

  const tableRow = (row, input) => {
    const cells = COLUMNS.map(([key, , text]) =>
      make("td", { "data-key": key, "data-value": String(row[key]) }, text(row[key])));
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

  // 1, 2 or 5 times a power of ten, at least `raw`.
  const niceStep = (raw) => {
    const power = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
  };

  // Ratio (linear) against compress speed (log scale, as Squash and lzbench plot it): up and to
  // the right is better. One labelled point per job; the tooltip has its numbers.
  const chart = (rows) => {
    const [width, height, left, right, top, bottom] = [640, 380, 52, 16, 12, 46];
    const slowest = 1e-3; // MB/s; an empty input is compressed at "0 MB/s"
    const logSpeeds = rows.map((r) => Math.log10(Math.max(r.compress_mbps, slowest)));
    const low = Math.floor(Math.min(...logSpeeds));
    const high = Math.max(Math.ceil(Math.max(...logSpeeds)), low + 1);
    const ratios = rows.map((r) => r.ratio);
    const step = niceStep((Math.max(...ratios) - Math.min(...ratios)) / 5 || 0.5);
    const bottomRatio = Math.max(0, (Math.floor(Math.min(...ratios) / step) - 1) * step);
    const topRatio = (Math.ceil(Math.max(...ratios) / step) + 1) * step;
    const x = (logSpeed) => left + ((logSpeed - low) / (high - low)) * (width - left - right);
    const plotHeight = height - top - bottom;
    const y = (ratio) =>
      height - bottom - ((ratio - bottomRatio) / (topRatio - bottomRatio)) * plotHeight;

    const grid = svg("g", { stroke: "currentColor", "stroke-opacity": 0.2 });
    const labels = svg("g", { fill: "currentColor", "font-size": 11 });
    for (let power = low; power <= high; power++) {
      const at = x(power);
      grid.append(svg("line", { x1: at, x2: at, y1: top, y2: height - bottom }));
      labels.append(svg("text", { x: at, y: height - bottom + 15, "text-anchor": "middle" },
        String(+(10 ** power).toPrecision(1))));
    }
    for (let ratio = bottomRatio; ratio <= topRatio + step / 2; ratio += step) {
      const at = y(ratio);
      grid.append(svg("line", { x1: left, x2: width - right, y1: at, y2: at }));
      labels.append(svg("text", { x: left - 5, y: at + 4, "text-anchor": "end" },
        String(+ratio.toFixed(2))));
    }
    const middle = (top + height - bottom) / 2;
    labels.append(
      svg("text", { x: (left + width - right) / 2, y: height - 8, "text-anchor": "middle" },
        "compress speed, MB/s (log scale) →"),
      svg("text", { x: 0, y: 0, "text-anchor": "middle",
                    transform: `translate(13 ${middle}) rotate(-90)` },
        "ratio, original ÷ compressed →"));

    const codecs = [...new Set(rows.map((r) => r.codec))].sort(); // a codec's colour is stable
    const points = rows.map((r, i) => [r, x(logSpeeds[i]), y(r.ratio)]);
    const taken = points.map(([, px, py]) => [px - 4, py - 4, px + 4, py + 4]);
    const area = [left, top, width - right, height - bottom];
    const marks = points.map(([r, px, py]) => {
      const name = `${r.codec} ${r.level}`;
      const box = placeLabel(name, px, py, taken, area);
      const nearX = Math.min(Math.max(px, box[0]), box[2]);
      const nearY = Math.min(Math.max(py, box[1]), box[3]);
      const line = { x1: px, y1: py, x2: nearX, y2: nearY, stroke: "currentColor",
                     "stroke-opacity": 0.5 };
      const leader = Math.hypot(nearX - px, nearY - py) > 8 ? [svg("line", line)] : [];
      return svg("g", { class: "point", "data-codec": r.codec, "data-level": r.level },
        svg("title", {}, `${name}: ratio ${r.ratio.toFixed(2)}, compress ` +
          `${speed(r.compress_mbps)} MB/s, decompress ${speed(r.decompress_mbps)} MB/s`),
        svg("circle", { cx: px, cy: py, r: 4, fill: COLORS[codecs.indexOf(r.codec) % 7] }),
        ...leader,
        svg("text", { x: box[0], y: box[3] - 1.5, "font-size": 10 }, name));
    });
    return svg("svg", { id: "chart", viewBox: `0 0 ${width} ${height}`, width: "100%",
                        role: "img", "aria-label": "ratio against compress speed" },
      grid, labels, svg("g", { fill: "currentColor" }, ...marks));
  };

  // A point's label goes where it overlaps no label or point placed so far (`taken` grows by
  // its box): right, left, above, below or a corner of the point, near first, then farther out
  // with a leader line; failing all, the first place that stays inside the plot.
  const DIRECTIONS = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [1, 1], [-1, -1], [-1, 1]];
  const DISTANCES = [5, 16, 28, 42];
  const placeLabel = (text, px, py, taken, [minX, minY, maxX, maxY]) => {
    const [width, height] = [text.length * 5.6, 10];
    const boxAt = ([dx, dy], d) => {
      const x0 = dx > 0 ? px + d : dx < 0 ? px - d - width : px - width / 2;
      const y0 = dy > 0 ? py + d : dy < 0 ? py - d - height : py - height / 2;
      return [x0, y0, x0 + width, y0 + height];
    };
    const inside = (b) => b[0] >= minX && b[2] <= maxX && b[1] >= minY && b[3] <= maxY;
    const overlaps = (b, t) => b[0] < t[2] && t[0] < b[2] && b[1] < t[3] && t[1] < b[3];
    const free = (b) => !taken.some((t) => overlaps(b, t));
    const boxes = DISTANCES.flatMap((d) => DIRECTIONS.map((direction) => boxAt(direction, d)));
    const box = boxes.find((b) => inside(b) && free(b)) || boxes.find(inside) || boxes[0];
    taken.push(box);
    return box;
  };
})();
