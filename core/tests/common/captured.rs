//! A `Write` sink that keeps everything written to it: what the `tracing` fmt layer logs (and,
//! in the secrets test, panic messages and error texts), for assertions on the text.

use std::io::Write;
use std::sync::Arc;

use parking_lot::Mutex;

#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Adds `text` as a line of its own.
    pub fn push(&self, text: &str) {
        let mut buf = self.0.lock();
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().clone()).expect("the captured text is UTF-8")
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
