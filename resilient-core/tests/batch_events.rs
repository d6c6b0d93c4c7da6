//! `batch`'s events, alone in this binary: tracing caches each callsite's
//! interest process-wide, and a test thread that hits a callsite while
//! another installs its subscriber can leave the callsite disabled for it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilient_core::batch;
use tokio::time::sleep;

const DELIBERATE: &str = "deliberate";

/// Records the `resilient` events: level, message and fields.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0 += &format!(" {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "resilient"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(start_paused = true)]
async fn each_failure_is_a_warning_and_the_totals_one_info_event() {
    std::panic::set_hook(Box::new(|_| {}));
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    batch::run(0..4, 2, async |&n: &i32| {
        sleep(Duration::from_millis(10)).await;
        match n {
            1 => Err("refused"),
            3 => panic!("{DELIBERATE}"),
            _ => Ok(()),
        }
    })
    .await;
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(
        events,
        [
            r#"WARN message=batch input failed index=1 error=refused"#,
            r#"WARN message=batch input failed index=3 error=panicked: deliberate"#,
            r#"INFO message=batch finished total=4 succeeded=2 failed=2 panicked=1 elapsed=20ms"#,
        ]
    );
}
