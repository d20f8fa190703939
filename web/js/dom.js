// Building DOM nodes without HTML strings: text always goes through textContent, so nothing a
// customer writes can become markup.

/**
 * el('button', {class: 'x', dataset: {testid: 'save'}, on: {click: f}, disabled: true}, 'Texto', child)
 * Attributes are set with setAttribute (booleans: present when true); children are nodes or text.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'on') for (const [type, fn] of Object.entries(v)) node.addEventListener(type, fn);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'text') node.textContent = v;
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace all children of node. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** document.querySelector by data-testid. */
export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

/** Show or hide with the hidden attribute. */
export function show(node, visible) {
  node.hidden = !visible;
}
