// Ties every key press to the sample on screen (see al_ui/keys.py).
//
// Streamlit binds a button's shortcut in an effect that runs a moment after the button
// is drawn, so a press made as soon as a new card shows could be lost. This listener is
// installed once per page, and titles stay hidden until it is, so once a title is
// visible every press is caught. Each title is sent before its card's buttons, so that
// it replaces the last title in place; a press is pinned to the row the title on
// screen names and clicks that row's button as soon as the button is on the page.
(() => {
  if (window.__alKeys) return;
  window.__alKeys = true;
  // Titles are hidden until now (al_ui/keys.py): from here on every press is caught.
  document.documentElement.style.setProperty("--al-keys-live", "visible");
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
