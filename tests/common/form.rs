//! Filling a page's form the way a person does: by the visible label of each
//! field, keeping hidden fields (the CSRF token) as the page sent them.

use scraper::{ElementRef, Html, Selector};

#[derive(Clone, Debug)]
pub struct Form {
    pub action: String,
    pub method: String,
    /// (name, value) pairs in document order, as the browser would send them.
    fields: Vec<(String, String)>,
    /// Label text → field name (checkboxes: label text → (name, value)).
    labels: Vec<(String, String, String)>,
    /// Checkbox (name, value) pairs that are ticked.
    checked: Vec<(String, String)>,
    /// Submit buttons: (text, name, value).
    buttons: Vec<(String, String, String)>,
    /// The button pressed on submit, as (name, value).
    pressed: Option<(String, String)>,
}

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("valid selector")
}

fn text_of(element: ElementRef<'_>) -> String {
    element.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Form {
    /// The form whose submit button reads `button`, or the page's only form.
    pub fn find(html: &str, page_url: &str, button: Option<&str>) -> Form {
        let document = Html::parse_document(html);
        let forms: Vec<ElementRef<'_>> = document.select(&selector("form")).collect();
        let form = match button {
            Some(text) => forms
                .iter()
                .find(|f| {
                    f.select(&selector("button, input[type=submit]"))
                        .any(|b| text_of(b) == text || b.value().attr("value") == Some(text))
                })
                .unwrap_or_else(|| panic!("no form with a `{text}` button in:\n{html}")),
            None => {
                assert_eq!(forms.len(), 1, "expected exactly one form in:\n{html}");
                &forms[0]
            }
        };
        let base = url::Url::parse(page_url).expect("page URL");
        let action = base.join(form.value().attr("action").unwrap_or("")).expect("form action").to_string();
        let method = form.value().attr("method").unwrap_or("get").to_ascii_lowercase();

        let mut fields = Vec::new();
        let mut checked = Vec::new();
        let mut ids = Vec::new();
        for control in form.select(&selector("input, select, textarea")) {
            let element = control.value();
            let Some(name) = element.attr("name") else {
                continue;
            };
            if let Some(id) = element.attr("id") {
                ids.push((id.to_string(), name.to_string(), element.attr("value").unwrap_or("on").to_string()));
            }
            match (element.name(), element.attr("type").unwrap_or("text")) {
                ("input", "checkbox" | "radio") => {
                    if element.attr("checked").is_some() {
                        checked.push((name.to_string(), element.attr("value").unwrap_or("on").to_string()));
                    }
                }
                ("input", "submit" | "button" | "file") => {}
                ("input", _) => fields.push((name.to_string(), element.attr("value").unwrap_or("").to_string())),
                ("textarea", _) => fields.push((name.to_string(), text_of(control))),
                ("select", _) => {
                    let options: Vec<_> = control.select(&selector("option")).collect();
                    let chosen = options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first())
                        .map(|o| o.value().attr("value").map(str::to_string).unwrap_or_else(|| text_of(*o)))
                        .unwrap_or_default();
                    fields.push((name.to_string(), chosen));
                }
                _ => {}
            }
        }
        let buttons = form
            .select(&selector("button"))
            .filter(|b| b.value().attr("type").unwrap_or("submit") == "submit")
            .map(|b| {
                let attr = |name| b.value().attr(name).unwrap_or("").to_string();
                (text_of(b), attr("name"), attr("value"))
            })
            .collect();
        let mut labels = Vec::new();
        for label in form.select(&selector("label[for]")) {
            let target = label.value().attr("for").unwrap_or("");
            if let Some((_, name, value)) = ids.iter().find(|(id, _, _)| id == target) {
                labels.push((text_of(label), name.clone(), value.clone()));
            }
        }
        Form { action, method, fields, labels, checked, buttons, pressed: None }
    }

    fn field_for(&self, label: &str) -> (String, String) {
        self.labels
            .iter()
            .find(|(text, _, _)| text == label)
            .map(|(_, name, value)| (name.clone(), value.clone()))
            .unwrap_or_else(|| {
                let known: Vec<_> = self.labels.iter().map(|(t, _, _)| t.as_str()).collect();
                panic!("no field labelled `{label}`; labels are {known:?}")
            })
    }

    /// Types `value` into the field labelled `label`.
    pub fn fill(mut self, label: &str, value: &str) -> Form {
        let (name, _) = self.field_for(label);
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(field) => field.1 = value.to_string(),
            None => self.fields.push((name, value.to_string())),
        }
        self
    }

    /// Ticks the checkbox (or picks the radio button) labelled `label`.
    pub fn check(mut self, label: &str) -> Form {
        let (name, value) = self.field_for(label);
        self.checked.retain(|(n, v)| !(n == &name && v == &value));
        self.checked.push((name, value));
        self
    }

    /// Sets a field by its name, for fields a script fills (the captcha).
    pub fn set(mut self, name: &str, value: &str) -> Form {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
        self
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Chooses the submit button whose text is `text` (its name and value
    /// are sent, as a browser does).
    pub fn press(mut self, text: &str) -> Form {
        let (_, name, value) = self
            .buttons
            .iter()
            .find(|(t, _, _)| t == text)
            .unwrap_or_else(|| panic!("no `{text}` button; buttons are {:?}", self.buttons))
            .clone();
        self.pressed = (!name.is_empty()).then_some((name, value));
        self
    }

    pub fn pairs(&self) -> Vec<(String, String)> {
        self.fields.iter().chain(self.checked.iter()).chain(self.pressed.iter()).cloned().collect()
    }

    pub async fn submit(&self, client: &reqwest::Client) -> reqwest::Response {
        assert_eq!(self.method, "post", "only POST forms are submitted in tests");
        client.post(&self.action).form(&self.pairs()).send().await.expect("form submits")
    }
}
