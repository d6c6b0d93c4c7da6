use std::io;

use resilient_async::fallback;

async fn claude(serves: u8) -> io::Result<u8> {
    if serves == 1 {
        Ok(1)
    } else {
        Err(io::ErrorKind::ConnectionRefused.into())
    }
}

async fn local_ocr(serves: u8) -> io::Result<u8> {
    if serves == 2 {
        Ok(2)
    } else {
        Err(io::ErrorKind::NotFound.into())
    }
}

#[fallback(claude = 0.015, local_ocr = 0.001, cost = 0.03)]
async fn gpt4_vision(serves: u8) -> io::Result<u8> {
    if serves == 0 {
        Ok(0)
    } else {
        Err(io::ErrorKind::ConnectionReset.into())
    }
}

/// Whole numbers are costs too; a tier without one costs nothing.
#[fallback(claude = 2, local_ocr)]
async fn tokens(serves: u8) -> io::Result<u8> {
    if serves == 0 {
        Ok(0)
    } else {
        Err(io::ErrorKind::ConnectionReset.into())
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    // Listed before its first call.
    assert_eq!(fallback::get("gpt4_vision").unwrap().snapshot().served(), 0);
    for serves in [0, 0, 0, 1, 1, 2, 3] {
        let out = gpt4_vision(serves).await;
        match serves {
            3 => assert_eq!(out.unwrap_err().kind(), io::ErrorKind::NotFound),
            n => assert_eq!(out.unwrap(), n),
        }
    }
    let chain = fallback::get("gpt4_vision").unwrap().snapshot();
    assert_eq!(chain.function, "gpt4_vision");
    let tiers: Vec<_> = chain
        .tiers
        .iter()
        .map(|t| (t.name, t.cost, t.calls, t.served, t.failures))
        .collect();
    assert_eq!(
        tiers,
        [
            ("gpt4_vision", 0.03, 7, 3, 4),
            ("claude", 0.015, 4, 2, 2),
            ("local_ocr", 0.001, 2, 1, 1),
        ]
    );
    assert_eq!(chain.served(), 6);
    assert!((chain.spent() - (3.0 * 0.03 + 2.0 * 0.015 + 0.001)).abs() < 1e-12);
    assert_eq!(chain.primary_rate(), 0.5);

    assert_eq!(tokens(1).await.unwrap(), 1);
    assert_eq!(tokens(2).await.unwrap(), 2);
    let chain = fallback::get("tokens").unwrap().snapshot();
    let costs: Vec<_> = chain.tiers.iter().map(|t| (t.name, t.cost)).collect();
    assert_eq!(
        costs,
        [("tokens", 0.0), ("claude", 2.0), ("local_ocr", 0.0)]
    );
    assert_eq!(chain.spent(), 2.0);
    assert_eq!(chain.primary_rate(), 0.0);

    let names: Vec<_> = fallback::all().iter().map(|c| c.snapshot().function).collect();
    assert!(names.contains(&"gpt4_vision") && names.contains(&"tokens"));
}
