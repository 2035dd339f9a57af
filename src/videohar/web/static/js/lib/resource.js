// A generic list + create form for a JSON collection (notification targets, rules, …).
// A page describes a resource once; new resources slot in with a config, not new code.
import { del, get, post } from "./api.js";
import { clear, confirmButton, empty, h, say } from "./dom.js";
import { toast, toastError } from "./toast.js";

/**
 * config: {path, title, fields: [{name, label, type, required, placeholder, options, value}],
 *          columns: [{key, label, format(item)}], toBody(values) -> body, test: bool, emptyText, created(item) -> text}
 */
export function resourcePanel(config) {
  const tbody = h("tbody");
  const listBox = h("div");
  const message = h("div", { class: "message", role: "alert", hidden: true });
  const form = h("form", { dataset: { resource: config.path } });

  for (const field of config.fields) {
    const id = `${config.path.slice(1)}-${field.name}`;
    let input;
    if (field.type === "select") {
      input = h("select", { id, name: field.name }, (field.options || []).map(([value, text]) => h("option", { value }, text)));
    } else if (field.type === "checkbox") {
      form.append(h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", id, name: field.name, checked: field.value ?? true }), field.label)));
      continue;
    } else {
      input = h("input", { id, name: field.name, type: field.type || "text", required: field.required, placeholder: field.placeholder, value: field.value ?? "", step: field.step, min: field.min, max: field.max });
    }
    form.append(h("div", { class: "field" }, h("label", { for: id }, field.label), input));
  }
  form.append(h("button", { class: "primary", type: "submit" }, `Add ${config.noun || "item"}`));

  let rows = [];
  function render() {
    clear(tbody).append(...rows.map(row));
    clear(listBox);
    if (!rows.length) listBox.append(empty(`No ${config.title.toLowerCase()} yet`, config.emptyText || ""));
  }

  async function load() {
    try {
      const list = await get(config.path);
      rows = Array.isArray(list) ? list : list.items || [];
      render();
    } catch (err) {
      clear(listBox).append(empty(`${config.title} could not be loaded`, err.message));
    }
  }

  function row(item) {
    return h("tr", { dataset: { id: item.id } },
      config.columns.map((c) => h("td", {}, c.format ? c.format(item) : String(item[c.key] ?? "—"))),
      h("td", { class: "actions" },
        config.test ? h("button", { type: "button", class: "small", onclick: () => sendTest(item) }, "Send test") : null,
        confirmButton("Delete", async () => {
          try {
            await del(`${config.path}/${item.id}`);
            toast("Deleted", "ok");
            rows = rows.filter((r) => r.id !== item.id);
            render();
          } catch (err) {
            toastError(err);
          }
        }),
      ),
    );
  }

  async function sendTest(item) {
    try {
      const result = await post(`${config.path}/${item.id}/test`);
      if (result.ok) toast("Test message sent", "ok");
      else toast(result.error || `Test failed (${result.status})`, "error", { timeout: 9000 });
    } catch (err) {
      toastError(err);
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      values[el.name] = el.type === "checkbox" ? el.checked : el.type === "number" ? (el.value === "" ? undefined : Number(el.value)) : el.value.trim();
    }
    try {
      const created = await post(config.path, config.toBody ? config.toBody(values) : values);
      say(message, config.created?.(created) || "Added.", "ok");
      form.reset();
      rows = [...rows, created];
      render();
    } catch (err) {
      say(message, err.message);
    }
  });

  const element = h("div", { class: "split" },
    h("section", { class: "panel table-wrap" },
      h("table", {}, h("thead", {}, h("tr", {}, config.columns.map((c) => h("th", {}, c.label)), h("th"))), tbody),
      listBox),
    h("section", { class: "panel" }, h("h2", {}, `Add ${config.noun || "item"}`), message, form),
  );
  return { element, load };
}
