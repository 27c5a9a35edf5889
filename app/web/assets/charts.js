// CompressTest's charts, loaded by app.js once the page is up: ratio against compress speed with
// its Pareto front, and the time to deliver at a few link speeds. Each is a function of the
// report the server already sent (no request of its own), returning elements built from text
// only, never from markup. app/engine/delivery.py computes the same for the CLI; the formula is there.
"use strict";
(() => {
  // app.js's DOM builders (attributes set one by one, strings become text nodes) and number
  // formats: app.js runs first and loads this script.
  const { make, svg, grouped, speed, tied, TIE } = window.CompressTestDom;
  const milliseconds = (ms) => (ms >= 100 ? grouped(Math.round(ms)) : ms.toFixed(ms >= 10 ? 1 : 2));
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e67300", "#8c564b", "#d6359a",
                  "#17becf"];
  const colorOf = (codecs, codec) => COLORS[Math.max(0, codecs.indexOf(codec)) % COLORS.length];
  const labelOf = (r) => (r.level === null ? r.codec : `${r.codec} ${r.level}`);

  // A verified result is on the Pareto front when no other verified result has at least its
  // ratio and at least its compress speed, and more of one: nothing is both smaller and faster.
  const paretoFront = (rows) => {
    const verified = rows.filter((r) => r.verified);
    return new Set(verified.filter((r) => !verified.some((o) =>
      o.ratio >= r.ratio && o.compress_mbps >= r.compress_mbps &&
      (o.ratio > r.ratio || o.compress_mbps > r.compress_mbps))));
  };

  // 1, 2 or 5 times a power of ten, at least `raw`.
  const niceStep = (raw) => {
    const power = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
  };

  // A log-scale axis over [low, high] (powers of ten, whole) mapped onto [from, to] pixels.
  const logAxis = (values, from, to) => {
    const logs = values.map((v) => Math.log10(v));
    const low = Math.floor(Math.min(...logs));
    const high = Math.max(Math.ceil(Math.max(...logs)), low + 1);
    const at = (value) => from + ((Math.log10(value) - low) / (high - low)) * (to - from);
    const powers = [];
    for (let power = low; power <= high; power++) powers.push(10 ** power);
    return { at, powers };
  };
  const tickText = (value) => String(+value.toPrecision(1));

  // A chart's grid and labelled axes within its frame [width, height, left, right, top, bottom]:
  // ticks are [position, text] pairs; returns the grid's and the labels' groups.
  const axes = (frame, xTicks, yTicks, xTitle, yTitle) => {
    const [width, height, left, right, top, bottom] = frame;
    const grid = svg("g", { stroke: "currentColor", "stroke-opacity": 0.2 });
    const labels = svg("g", { fill: "currentColor", "font-size": 11 });
    for (const [at, text] of xTicks) {
      grid.append(svg("line", { x1: at, x2: at, y1: top, y2: height - bottom }));
      labels.append(svg("text", { x: at, y: height - bottom + 15, "text-anchor": "middle" }, text));
    }
    for (const [at, text] of yTicks) {
      grid.append(svg("line", { x1: left, x2: width - right, y1: at, y2: at }));
      labels.append(svg("text", { x: left - 5, y: at + 4, "text-anchor": "end" }, text));
    }
    const middle = (top + height - bottom) / 2;
    labels.append(
      svg("text", { x: (left + width - right) / 2, y: height - 8, "text-anchor": "middle" },
        xTitle),
      svg("text", { x: 0, y: 0, "text-anchor": "middle",
                    transform: `translate(13 ${middle}) rotate(-90)` }, yTitle));
    return [grid, labels];
  };

  // The speed of a phase's median run: the slow end of its noise span (app.js's `tied`).
  const medianMbps = (r) =>
    r.compress_ms_median > 0 ? (r.compress_mbps * r.compress_ms) / r.compress_ms_median
      : r.compress_mbps;
  // A point of the front whose compress speed ties (app.js's `tied`) with a result that
  // compresses smaller: it is on the front only by the noise of its runs.
  const tiedSmaller = (r, rows) =>
    rows.find((o) => o !== r && o.verified && o.ratio > r.ratio && tied(o, r, "compress"));

  // Ratio against compress speed (log scale, as Squash and lzbench plot it): up and to the right
  // is better. The ratio axis is linear, or logarithmic when the ratios span more than ten times
  // (dcz against a close previous version reaches hundreds while the rest stay near 4). One
  // labelled point per job; the tooltip has its numbers. A bar from the point back to the speed
  // of its median run shows the noise of its runs: two points whose bars overlap are equally
  // fast. The Pareto front's points are ringed and joined by a dotted line; one that is on it
  // only by noise (`tiedSmaller`) is labelled ≈.
  const sizeSpeedChart = (rows) => {
    const [width, height, left, right, top, bottom] = [640, 380, 52, 16, 12, 46];
    const slowest = 1e-3; // MB/s; an empty input is compressed at "0 MB/s"
    const speeds = rows.map((r) => Math.max(r.compress_mbps, slowest));
    const medians = rows.map((r) => Math.max(medianMbps(r), slowest));
    const xAxis = logAxis([...speeds, ...medians], left, width - right);
    const ratios = rows.map((r) => r.ratio);
    const [fewest, most] = [Math.min(...ratios), Math.max(...ratios)];
    const logRatios = fewest > 0 && most / fewest > 10;
    const ratioTicks = [];
    let y;
    if (logRatios) {
      const yAxis = logAxis(ratios, height - bottom, top);
      y = yAxis.at;
      ratioTicks.push(...yAxis.powers);
    } else {
      const step = niceStep((most - fewest) / 5 || 0.5);
      const bottomRatio = Math.max(0, (Math.floor(fewest / step) - 1) * step);
      const topRatio = (Math.ceil(most / step) + 1) * step;
      const plotHeight = height - top - bottom;
      y = (ratio) =>
        height - bottom - ((ratio - bottomRatio) / (topRatio - bottomRatio)) * plotHeight;
      for (let ratio = bottomRatio; ratio <= topRatio + step / 2; ratio += step) {
        ratioTicks.push(+ratio.toFixed(2));
      }
    }

    const [grid, labels] = axes(
      [width, height, left, right, top, bottom],
      xAxis.powers.map((power) => [xAxis.at(power), tickText(power)]),
      ratioTicks.map((ratio) => [y(ratio), logRatios ? tickText(ratio) : String(ratio)]),
      `compress speed, MB/s (log scale) →  · · · Pareto front  — median run  ${TIE} tie`,
      `ratio, original ÷ compressed${logRatios ? " (log scale)" : ""} →`);

    const codecs = [...new Set(rows.map((r) => r.codec))].sort(); // a codec's colour is stable
    const front = paretoFront(rows);
    const points = rows.map((r, i) => [r, xAxis.at(speeds[i]), y(r.ratio)]);
    const frontLine = points.filter(([r]) => front.has(r)).sort(([, a], [, b]) => a - b);
    const taken = points.map(([, px, py]) => [px - 4, py - 4, px + 4, py + 4]);
    const area = [left, top, width - right, height - bottom];
    const marks = points.map(([r, px, py]) => {
      const name = labelOf(r);
      const onFront = front.has(r);
      const tie = onFront ? tiedSmaller(r, rows) : undefined;
      const text = tie ? `${TIE} ${name}` : name;
      const box = placeLabel(text, px, py, taken, area);
      const nearX = Math.min(Math.max(px, box[0]), box[2]);
      const nearY = Math.min(Math.max(py, box[1]), box[3]);
      const line = { x1: px, y1: py, x2: nearX, y2: nearY, stroke: "currentColor",
                     "stroke-opacity": 0.5 };
      const leader = Math.hypot(nearX - px, nearY - py) > 8 ? [svg("line", line)] : [];
      const ring = onFront ? [svg("circle", { cx: px, cy: py, r: 7, fill: "none",
                                              stroke: "currentColor" })] : [];
      const color = colorOf(codecs, r.codec);
      const noise = svg("line", { class: "noise", x1: xAxis.at(medians[rows.indexOf(r)]),
                                  x2: px, y1: py, y2: py, stroke: color, "stroke-width": 2 });
      const classes = ["point", ...(onFront ? ["pareto"] : []), ...(tie ? ["tie"] : [])];
      return svg("g", { class: classes.join(" "), "data-codec": r.codec,
                        "data-level": r.level },
        svg("title", {}, `${name}: ratio ${r.ratio.toFixed(2)}, compress ` +
          `${speed(r.compress_mbps)} MB/s (median run ${speed(medianMbps(r))}), decompress ` +
          `${speed(r.decompress_mbps)} MB/s` + (onFront ? "; on the Pareto front" : "") +
          (tie ? `, but as fast as ${labelOf(tie)} within the noise, which compresses smaller`
            : "")),
        noise,
        svg("circle", { cx: px, cy: py, r: 4, fill: color }),
        ...ring,
        ...leader,
        svg("text", { x: box[0], y: box[3] - 1.5, "font-size": 10 }, text));
    });
    const frontPath = svg("polyline", {
      id: "pareto-line", fill: "none", stroke: "currentColor", "stroke-dasharray": "2 3",
      points: frontLine.map(([, px, py]) => `${px},${py}`).join(" ") });
    return svg("svg", { id: "chart", viewBox: `0 0 ${width} ${height}`, width: "100%",
                        role: "img", "aria-label": "ratio against compress speed" },
      grid, labels, frontPath, svg("g", { fill: "currentColor" }, ...marks));
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

  // --- Time to deliver ------------------------------------------------------------------------
  // At a link of S Mbit/s (10^6 bits a second), a result of `size` bytes takes
  //   transfer = size × 8 ÷ (S × 10^6) s; precompressed = transfer + decompress;
  //   on the fly = compress + transfer + decompress,
  // with the report's compress_ms and decompress_ms. The input sent as it is competes too.
  // Results that failed their round trip do not. A tie goes to the earlier (the smaller).
  const LINK_SPEEDS = [1, 10, 100, 1000];
  const MODES = [["precompressed", "precompressed: transfer + decompress"],
                 ["on-the-fly", "on the fly: compress + transfer + decompress"]];

  const deliveries = (report) => [
    { codec: "uncompressed", level: null, size: report.input.size, compress_ms: 0,
      decompress_ms: 0 },
    ...report.results.filter((r) => r.verified),
  ];
  const deliveryMs = (d, mbit, mode) =>
    (mode === "on-the-fly" ? d.compress_ms : 0) + ((d.size * 8) / (mbit * 1e6)) * 1000 +
    d.decompress_ms;
  const fastest = (candidates, mbit, mode) =>
    candidates.reduce((best, d) => (deliveryMs(d, mbit, mode) < deliveryMs(best, mbit, mode)
      ? d : best));

  // Time (log) against link speed (log), one line per way to deliver, the fastest at each
  // speed ringed and named.
  const deliveryChart = (candidates, speeds, mode) => {
    const [width, height, left, right, top, bottom] = [640, 340, 60, 90, 12, 46];
    const times = candidates.flatMap((d) => speeds.map((s) => deliveryMs(d, s, mode)));
    const xAxis = logAxis(speeds, left, width - right);
    const yAxis = logAxis(times.map((t) => Math.max(t, 1e-3)), height - bottom, top);
    const [grid, labels] = axes(
      [width, height, left, right, top, bottom],
      xAxis.powers.map((power) => [xAxis.at(power), tickText(power)]),
      yAxis.powers.map((power) => [yAxis.at(power), tickText(power)]),
      "link speed, Mbit/s (log scale) →",
      "time to deliver, ms (log scale), lower is better");
    const codecs = [...new Set(candidates.map((d) => d.codec))].sort();
    const point = (d, s) => [xAxis.at(s), yAxis.at(Math.max(deliveryMs(d, s, mode), 1e-3))];
    const lines = candidates.map((d) => svg("polyline", {
      class: "way", "data-label": labelOf(d), fill: "none", "stroke-width": 1,
      stroke: colorOf(codecs, d.codec), "stroke-opacity": 0.6,
      points: speeds.map((s) => point(d, s).join(",")).join(" ") },
    svg("title", {}, labelOf(d))));
    const marks = speeds.map((s) => {
      const best = fastest(candidates, s, mode);
      const [px, py] = point(best, s);
      const ms = deliveryMs(best, s, mode);
      return svg("g", { class: "fastest", "data-speed": s, "data-label": labelOf(best),
                        "data-ms": ms },
        svg("title", {}, `${s} Mbit/s: ${labelOf(best)} is fastest, ${milliseconds(ms)} ms`),
        svg("circle", { cx: px, cy: py, r: 6, fill: "none", stroke: "currentColor",
                        "stroke-width": 2 }),
        svg("text", { x: px + 8, y: py - 6, "font-size": 10 }, labelOf(best)));
    });
    return svg("svg", { id: "delivery-chart", viewBox: `0 0 ${width} ${height}`, width: "100%",
                        role: "img", "aria-label": "time to deliver against link speed" },
      grid, labels, svg("g", {}, ...lines), svg("g", { fill: "currentColor" }, ...marks));
  };

  const fastestTable = (candidates, speeds) => {
    const head = make("tr", {}, ...["link Mbit/s", "fastest precompressed", "ms",
      "fastest on the fly", "ms", "uncompressed ms"].map((h) => make("th", {}, h)));
    const rows = speeds.map((s) => {
      const cells = [make("td", {}, String(s))];
      for (const [mode] of MODES) {
        const best = fastest(candidates, s, mode);
        const ms = deliveryMs(best, s, mode);
        cells.push(make("td", { "data-key": mode, "data-value": labelOf(best) }, labelOf(best)),
          make("td", { "data-key": `${mode}-ms`, "data-value": String(ms) }, milliseconds(ms)));
      }
      const plain = deliveryMs(candidates[0], s, "precompressed");
      cells.push(make("td", { "data-key": "uncompressed-ms", "data-value": String(plain) },
        milliseconds(plain)));
      return make("tr", { "data-speed": s }, ...cells);
    });
    return make("div", { class: "scroll" },
      make("table", { id: "fastest" }, make("thead", {}, head), make("tbody", {}, ...rows)));
  };

  // The section: which speeds (checkboxes) and which way (precompressed or on the fly) to
  // chart, the table of the fastest at each chosen speed, and the chart; redrawn on a change.
  const deliverySection = (report) => {
    const candidates = deliveries(report);
    const speedBoxes = LINK_SPEEDS.map((s) =>
      make("input", { type: "checkbox", name: "speed", value: s, checked: "" }));
    const modeRadios = MODES.map(([mode], i) => make("input",
      { type: "radio", name: "mode", value: mode, ...(i === 0 ? { checked: "" } : {}) }));
    const view = make("div", { id: "delivery-view" });
    const render = () => {
      const speeds = speedBoxes.filter((box) => box.checked).map((box) => Number(box.value));
      const mode = modeRadios.find((radio) => radio.checked).value;
      if (!speeds.length) {
        view.replaceChildren(make("p", {}, "Pick at least one link speed."));
        return;
      }
      view.replaceChildren(fastestTable(candidates, speeds),
        deliveryChart(candidates, speeds, mode));
    };
    const controls = make("form", { id: "delivery-controls" },
      make("p", {}, "Link speeds: ", ...speedBoxes.map((box) =>
        make("label", {}, box, ` ${box.value} Mbit/s `))),
      make("p", {}, "Chart: ", ...modeRadios.map((radio, i) =>
        make("label", {}, radio, ` ${MODES[i][1]} `))));
    controls.addEventListener("change", render);
    controls.addEventListener("submit", (event) => event.preventDefault());
    render();
    return make("section", { id: "delivery" },
      make("h3", {}, "Time to deliver"),
      make("p", {}, "How long each result takes to reach a user: transfer = size × 8 ÷ link " +
        "speed; precompressed = transfer + decompress; on the fly = compress + transfer + " +
        "decompress. Times were measured on the server; round trips and slow start are left " +
        "out. dcz needs the user to hold the previous version."),
      controls, view);
  };

  window.CompressTestCharts = { sizeSpeedChart, deliverySection };
})();
