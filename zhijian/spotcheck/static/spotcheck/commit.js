// The draw's secret is generated in the browser and never sent to the server before the draw:
// 32 random bytes (crypto.getRandomValues) as hex, and their SHA-256 as the commitment.
(function () {
  "use strict";
  const box = document.getElementById("secret-box");
  const secretEl = document.getElementById("secret");
  const download = document.getElementById("download-secret");
  const input = document.getElementById("id_commitment");
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  async function generate() {
    if (!window.crypto || !crypto.getRandomValues || !crypto.subtle) {
      document.getElementById("no-webcrypto").hidden = false;
      return;
    }
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const secret = hex(bytes);
    const commitment = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
    secretEl.textContent = secret;
    const text = "secret " + secret + "\ncommitment " + commitment + "\n";
    if (download.href.startsWith("blob:")) URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    input.value = commitment;
    input.dataset.generated = "true";
    box.hidden = false;
  }

  document.getElementById("new-secret").addEventListener("click", generate);
  if (!input.value) generate();
})();
