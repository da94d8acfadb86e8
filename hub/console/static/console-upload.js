// The console's version upload: a folder (chosen or dropped) becomes a new
// version through the hub's resumable multipart uploads. Files are hashed
// (SHA-256, in pieces, so large files never sit in memory whole), the
// manifest is sent, then each file's missing parts; the server checks each
// file's size and SHA-256 when it is completed. Choosing the same folder
// and version again after a reload resumes: parts already received are
// skipped. No build step: plain browser JavaScript.
"use strict";

(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const product = form.dataset.product;
  const input = document.getElementById("upload-files");
  const drop = document.getElementById("upload-drop");
  const summary = document.getElementById("upload-summary");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const button = document.getElementById("upload-start");
  const versionField = document.getElementById("upload-version");
  const remembered = "continuata-upload:" + product;
  let chosen = [];  // [{path, file}]

  if (!versionField.value && localStorage.getItem(remembered)) versionField.value = localStorage.getItem(remembered);

  // --- SHA-256, incremental (crypto.subtle has no streaming digest) -------
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

  function Sha256() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.buffer = new Uint8Array(64);
    this.buffered = 0;
    this.length = 0;
    this.w = new Uint32Array(64);
  }
  Sha256.prototype.block = function (b, o) {
    const w = this.w, h = this.h;
    for (let i = 0; i < 16; i++) w[i] = (b[o + 4 * i] << 24) | (b[o + 4 * i + 1] << 16) | (b[o + 4 * i + 2] << 8) | b[o + 4 * i + 3];
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  };
  Sha256.prototype.update = function (data) {
    let i = 0;
    this.length += data.length;
    if (this.buffered) {
      while (this.buffered < 64 && i < data.length) this.buffer[this.buffered++] = data[i++];
      if (this.buffered < 64) return;
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; i + 64 <= data.length; i += 64) this.block(data, i);
    while (i < data.length) this.buffer[this.buffered++] = data[i++];
  };
  Sha256.prototype.hex = function () {
    const bits = this.length * 8;
    const pad = new Uint8Array(((this.buffered < 56 ? 56 : 120) - this.buffered) + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    return Array.from(this.h, (x) => x.toString(16).padStart(8, "0")).join("");
  };

  const SLICE = 4 * 1024 * 1024;
  async function sha256Of(file, onBytes) {
    const hash = new Sha256();
    for (let start = 0; start < file.size; start += SLICE) {
      hash.update(new Uint8Array(await file.slice(start, start + SLICE).arrayBuffer()));
      onBytes(Math.min(SLICE, file.size - start));
    }
    return hash.hex();
  }

  // --- choosing a folder ---------------------------------------------------
  function relative(path) {
    const parts = path.split("/");
    return parts.length > 1 ? parts.slice(1).join("/") : path;  // without the folder's own name
  }
  function show() {
    const total = chosen.reduce((sum, c) => sum + c.file.size, 0);
    summary.textContent = chosen.length ? chosen.length + " file" + (chosen.length === 1 ? "" : "s") + ", " + (total / 1e6).toFixed(1) + " MB" : "No folder chosen.";
  }
  input.addEventListener("change", () => {
    chosen = Array.from(input.files, (file) => ({ path: relative(file.webkitRelativePath || file.name), file }));
    show();
  });
  function readEntry(entry, prefix, out) {
    return new Promise((resolve, reject) => {
      if (entry.isFile) {
        entry.file((file) => { out.push({ path: prefix + file.name, file }); resolve(); }, reject);
      } else {
        const reader = entry.createReader();
        const batch = () => reader.readEntries(async (entries) => {
          if (!entries.length) return resolve();
          for (const child of entries) await readEntry(child, prefix + entry.name + "/", out);
          batch();
        }, reject);
        batch();
      }
    });
  }
  ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const out = [];
    for (const item of Array.from(e.dataTransfer.items)) {
      const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
      if (entry) await readEntry(entry, "", out);
    }
    chosen = out.map((c) => ({ path: relative(c.path), file: c.file }));
    show();
  });

  // --- uploading -----------------------------------------------------------
  async function call(method, url, body, raw) {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    if (!raw) headers["Content-Type"] = "application/json";
    for (let attempt = 0; ; attempt++) {
      let answer;
      try {
        answer = await fetch(url, { method, headers, body: raw ? body : JSON.stringify(body), credentials: "same-origin" });
      } catch (lost) {  // a lost connection: try again a few times
        if (attempt < 4) { await new Promise((r) => setTimeout(r, 1000 * (attempt + 1))); continue; }
        throw new Error("The connection was lost. Choose the folder again to resume.");
      }
      const data = await answer.json().catch(() => ({}));
      if (!answer.ok) throw new Error(data.error || "The hub answered " + answer.status);
      return data;
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const version = versionField.value.trim();
    if (!version) { status.textContent = "Enter a version number."; versionField.focus(); return; }
    if (!chosen.length) { status.textContent = "Choose or drop a folder first."; input.focus(); return; }
    button.disabled = true;
    localStorage.setItem(remembered, version);
    const total = chosen.reduce((sum, c) => sum + c.file.size, 0) || 1;
    let done = 0;
    const step = (bytes) => { done += bytes; progress.value = done / (2 * total); };
    try {
      status.textContent = "Checking the files (SHA-256)…";
      const files = [];
      for (const c of chosen) files.push({ path: c.path, size: c.file.size, sha256: await sha256Of(c.file, step) });
      status.textContent = "Uploading…";
      const base = "/console/products/" + encodeURIComponent(product);
      const created = await call("POST", base + "/versions", { version, changelog: document.getElementById("upload-changelog").value, files });
      const ready = new Set(created.files.filter((f) => f.status === "ready").map((f) => f.path));
      for (const c of chosen) {
        if (ready.has(c.path)) { step(c.file.size); continue; }
        const plan = await call("POST", base + "/versions/" + encodeURIComponent(version) + "/uploads", { path: c.path });
        let offset = 0;
        for (const part of plan.parts) {
          if (!part.received) {
            await call("PUT", "/console/uploads/" + plan.id + "/parts/" + part.partNumber, c.file.slice(offset, offset + part.size), true);
          }
          offset += part.size;
          step(part.size);
        }
        await call("POST", "/console/uploads/" + plan.id + "/complete", {});
      }
      progress.value = 1;
      localStorage.removeItem(remembered);
      status.textContent = "Version " + version + " is uploaded and checked.";
      window.location.assign(base + "?done=uploaded");
    } catch (problem) {
      status.textContent = problem.message;
      button.disabled = false;
    }
  });
})();
