// Ties every key press to the sample on screen (see al_ui/keys.py).
//
// Streamlit binds a button's shortcut in an effect that runs a moment after the button
// is drawn, so a press made as soon as a new card shows could be lost. This listener is
// installed by the first sample's title in the same kind of effect that draws that
// title, so once a title is visible every press is caught, and it stays for the page's
// life (later titles are plain markdown); a press is pinned to the row the title on
// screen names and clicks that row's button as soon as the button is on the page.
(() => {
  if (window.__alKeys) return;
  window.__alKeys = true;
  const TITLE = ".al-sample-title";
  const WAIT_MS = 5000;
  // The card keys of the last title seen (the first title carries this script).
  const first = document.querySelector(TITLE);
  let lastKeys = new Set(first ? Object.keys(JSON.parse(first.dataset.keys)) : []);
  const editable = (el) =>
    !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

  const press = (row, widgetKey) => {
    const deadline = performance.now() + WAIT_MS;
    const attempt = () => {
      const title = document.querySelector(TITLE);
      // Another sample is on screen now: the press was meant for the one that left.
      if (!title || title.dataset.row !== row) return;
      const button = document.querySelector(`.st-key-${CSS.escape(widgetKey)} button`);
      if (button && !button.disabled) {
        button.click();
      } else if (performance.now() < deadline) {
        setTimeout(attempt, 15);
      }
    };
    attempt();
  };

  window.addEventListener(
    "keydown",
    (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || editable(e.target)) return;
      const title = document.querySelector(TITLE);
      const key = e.key.toLowerCase();
      if (!title) {
        // Between two cards (the title is drawn after the new card's buttons): no sample
        // is on screen, so a card key presses nothing, not even Streamlit's own shortcut
        // on a button of a card nobody has seen yet.
        if (lastKeys.has(key)) {
          e.preventDefault();
          e.stopPropagation();
        }
        return;
      }
      const keys = JSON.parse(title.dataset.keys);
      lastKeys = new Set(Object.keys(keys));
      const widgetKey = keys[key];
      if (!widgetKey) return;
      // Streamlit's own shortcut (kept for the key shown on each button) would press
      // the same button a second time.
      e.preventDefault();
      e.stopPropagation();
      window.__alPresses = (window.__alPresses || 0) + 1;
      press(title.dataset.row, widgetKey);
    },
    true,
  );
})();
