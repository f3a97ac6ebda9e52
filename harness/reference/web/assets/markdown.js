// Renders the server's markdown_tokens (REST.md §5.3) into DOM nodes. Only createElement/text nodes are
// used, so message content can never inject markup. Links keep http/https/mailto targets only.

const SAFE_HREF_RE = /^(https?:|mailto:)/i;

/** Append the rendered tokens to `container`. Falls back to plain text if the token stream is unbalanced. */
export function renderMarkdown(container, tokens, fallbackText) {
  if (!tokens || tokens.length === 0) {
    container.replaceChildren(document.createTextNode(fallbackText || ""));
    return container;
  }
  const root = document.createDocumentFragment();
  const stack = [root];
  const top = () => stack[stack.length - 1];
  const open = (el) => {
    top().appendChild(el);
    stack.push(el);
  };
  const close = () => {
    if (stack.length > 1) stack.pop();
  };
  for (const tok of tokens) {
    switch (tok.type) {
      case "paragraph_start": open(document.createElement("p")); break;
      case "heading_start": open(document.createElement(`h${tok.level}`)); break;
      case "emphasis_start": open(document.createElement("em")); break;
      case "strong_start": open(document.createElement("strong")); break;
      case "list_start": open(document.createElement(tok.ordered ? "ol" : "ul")); break;
      case "list_item_start": open(document.createElement("li")); break;
      case "link_start": {
        const a = document.createElement("a");
        if (SAFE_HREF_RE.test(tok.href)) {
          a.href = tok.href;
          a.rel = "noopener noreferrer nofollow";
          a.target = "_blank";
        }
        open(a);
        break;
      }
      case "paragraph_end": case "heading_end": case "emphasis_end": case "strong_end":
      case "list_end": case "list_item_end": case "link_end":
        close();
        break;
      case "text": top().appendChild(document.createTextNode(tok.text)); break;
      case "soft_break": top().appendChild(document.createTextNode("\n")); break;
      case "hard_break": top().appendChild(document.createElement("br")); break;
      case "code": {
        const code = document.createElement("code");
        code.textContent = tok.code;
        top().appendChild(code);
        break;
      }
      case "fenced_code": {
        const pre = document.createElement("pre");
        const code = document.createElement("code");
        code.textContent = tok.code;
        pre.appendChild(code);
        top().appendChild(pre);
        break;
      }
      default: break; // decoders reject unknown types before we get here
    }
  }
  if (stack.length !== 1) {
    container.replaceChildren(document.createTextNode(fallbackText || ""));
    return container;
  }
  container.replaceChildren(root);
  return container;
}
