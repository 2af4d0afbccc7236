//! Core errors as JavaScript `Error`s: the core's message, and a `name` that says which kind.

use js_sys::JsString;
use netskope_arrow::Error;
use wasm_bindgen::JsValue;

/// A JavaScript `Error` with this `name` and `message`.
pub fn named(name: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name(name);
    e.into()
}

/// The JavaScript `Error` for a core error. Every variant has its own `name`.
pub fn to_js(e: Error) -> JsValue {
    let name = match &e {
        Error::Input { .. } => "InputError",
        Error::Output { .. } => "OutputError",
        Error::Io(_) => "IoError",
        Error::Decompress { .. } => "DecompressError",
        Error::InvalidArgument(_) => "InvalidArgumentError",
        Error::Unsupported(_) => "UnsupportedError",
        Error::Arrow(_) => "ArrowError",
        Error::Parquet(_) => "ParquetError",
    };
    let mut message = e.to_string();
    if let Error::Unsupported(feature) = &e {
        message.push_str(&format!(
            " (build the package with `scripts/build-wasm.sh --features {feature}`)"
        ));
    }
    named(name, &message)
}

/// An `InvalidArgumentError` with this message.
pub fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidArgument(message.into())
}

/// What `typeof value` says, for error messages.
pub fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_string();
    }
    if js_sys::Array::is_array(value) {
        return "array".to_string();
    }
    String::from(JsString::from(value.js_typeof()))
}
