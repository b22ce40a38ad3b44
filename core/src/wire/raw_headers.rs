//! Every header of a response, kept cheaply for the calls that want them: an API status error
//! (whose `headers` the user reads) and a raw response. The hot path never looks at them: an
//! HTTP/1.1 response keeps its head's bytes (a slice of the read buffer its body also lives in,
//! so no copy and no allocation), an HTTP/2 response its header map, and the list of
//! `(name, value)` pairs is only built when asked for.

#[cfg(not(target_arch = "wasm32"))]
use bytes::Bytes;
#[cfg(not(target_arch = "wasm32"))]
use http::HeaderMap;

/// A response's headers, in the form the protocol delivered them.
#[derive(Debug, Clone, Default)]
pub(crate) enum RawHeaders {
    /// Not kept (a response made up in a test).
    #[default]
    None,
    /// The HTTP/1.1 head as received: status line and header lines.
    #[cfg(not(target_arch = "wasm32"))]
    Http1(Bytes),
    /// A header map (HTTP/2).
    #[cfg(not(target_arch = "wasm32"))]
    Http2(Box<HeaderMap>),
    /// The fetch wire's `Headers` object, listed only when asked for (walking it crosses into
    /// JavaScript once per header).
    #[cfg(target_arch = "wasm32")]
    Fetch(crate::wire::fetch::ResponseHeaders),
}

/// Most headers listed from an HTTP/1.1 head (the codec accepts no more).
#[cfg(not(target_arch = "wasm32"))]
const MAX_HEADERS: usize = 100;

impl RawHeaders {
    /// `(name, value)` pairs in the order received, names in lowercase, values as text (bytes
    /// that are not UTF-8 replaced).
    pub(crate) fn to_list(&self) -> Vec<(String, String)> {
        let pair = |name: &str, value: &[u8]| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(value).trim().to_owned(),
            )
        };
        match self {
            RawHeaders::None => Vec::new(),
            #[cfg(not(target_arch = "wasm32"))]
            RawHeaders::Http1(head) => {
                let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut raw);
                // The codec parsed this very head already; a failure here cannot happen.
                if response.parse(head).is_err() {
                    return Vec::new();
                }
                response
                    .headers
                    .iter()
                    .map(|h| pair(h.name, h.value))
                    .collect()
            }
            #[cfg(not(target_arch = "wasm32"))]
            RawHeaders::Http2(map) => map
                .iter()
                .map(|(name, value)| pair(name.as_str(), value.as_bytes()))
                .collect(),
            #[cfg(target_arch = "wasm32")]
            RawHeaders::Fetch(headers) => headers
                .to_list()
                .iter()
                .map(|(name, value)| pair(name, value.as_bytes()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http1_and_http2_heads_list_the_same_pairs() {
        let head = Bytes::from_static(
            b"HTTP/1.1 404 Not Found\r\nX-Request-Id: req_1\r\ncontent-type: application/json\r\n\r\n",
        );
        let mut map = HeaderMap::new();
        map.insert("x-request-id", "req_1".parse().unwrap());
        map.insert("content-type", "application/json".parse().unwrap());
        let expected = vec![
            ("x-request-id".to_owned(), "req_1".to_owned()),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        assert_eq!(RawHeaders::Http1(head).to_list(), expected);
        assert_eq!(RawHeaders::Http2(Box::new(map)).to_list(), expected);
        assert!(RawHeaders::None.to_list().is_empty());
    }
}
