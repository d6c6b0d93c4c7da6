use std::io::{self, ErrorKind};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient_async::fallback;

static MIRROR: AtomicU32 = AtomicU32::new(0);
static ARCHIVE: AtomicU32 = AtomicU32::new(0);

/// A missing file is missing everywhere: only outages move on.
fn is_outage(error: &io::Error) -> bool {
    error.kind() != ErrorKind::NotFound
}

mod policy {
    pub fn never(_: &std::io::Error) -> bool {
        false
    }
}

async fn mirror(
    primary: Option<ErrorKind>,
    mirrored: Option<ErrorKind>,
) -> io::Result<&'static str> {
    let _ = primary;
    MIRROR.fetch_add(1, SeqCst);
    match mirrored {
        Some(kind) => Err(kind.into()),
        None => Ok("mirror"),
    }
}

async fn archive(_: Option<ErrorKind>, _: Option<ErrorKind>) -> io::Result<&'static str> {
    ARCHIVE.fetch_add(1, SeqCst);
    Ok("archive")
}

#[fallback(mirror, archive, when = is_outage)]
async fn download(
    primary: Option<ErrorKind>,
    mirrored: Option<ErrorKind>,
) -> io::Result<&'static str> {
    let _ = mirrored;
    match primary {
        Some(kind) => Err(kind.into()),
        None => Ok("primary"),
    }
}

#[fallback(archive, when = policy::never)]
async fn pinned(
    primary: Option<ErrorKind>,
    _mirrored: Option<ErrorKind>,
) -> io::Result<&'static str> {
    match primary {
        Some(kind) => Err(kind.into()),
        None => Ok("primary"),
    }
}

fn calls() -> (u32, u32) {
    (MIRROR.load(SeqCst), ARCHIVE.load(SeqCst))
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    // Not eligible: the primary's error, at once.
    let error = download(Some(ErrorKind::NotFound), None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(calls(), (0, 0));
    // An outage moves on, and the mirror serves.
    assert_eq!(
        download(Some(ErrorKind::ConnectionReset), None)
            .await
            .unwrap(),
        "mirror"
    );
    assert_eq!(calls(), (1, 0));
    // The mirror's own error is not eligible: the chain stops there.
    let error = download(Some(ErrorKind::ConnectionReset), Some(ErrorKind::NotFound))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(calls(), (2, 0));
    // Two outages: the archive serves.
    let out = download(Some(ErrorKind::ConnectionReset), Some(ErrorKind::TimedOut)).await;
    assert_eq!(out.unwrap(), "archive");
    assert_eq!(calls(), (3, 1));

    let chain = resilient_async::fallback::get("download").unwrap().snapshot();
    let figures: Vec<_> = chain
        .tiers
        .iter()
        .map(|t| (t.calls, t.served, t.failures))
        .collect();
    assert_eq!(figures, [(4, 0, 4), (3, 1, 2), (1, 1, 0)]);

    let error = pinned(Some(ErrorKind::ConnectionReset), None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset);
    assert_eq!(calls(), (3, 1));
}
