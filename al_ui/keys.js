// Ties every key press to the sample on screen (see al_ui/keys.py).
//
// Streamlit binds a button's shortcut in an effect that runs a moment after the button
// is drawn, so a press made as soon as a new card shows could be lost. This listener is
// installed by the sample's title in the same kind of effect that draws the title, so
// once a title is visible every press is caught; it is pinned to the row that title
// names and clicks that row's button as soon as the button is on the page.
(() => {
  if (window.__alKeys) return;
  window.__alKeys = true;
  const TITLE = ".al-sample-title";
  const WAIT_MS = 5000;
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
      if (!title) return;
      const widgetKey = JSON.parse(title.dataset.keys)[e.key.toLowerCase()];
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
