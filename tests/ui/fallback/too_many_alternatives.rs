use resilient_async::fallback;

async fn a1() -> std::io::Result<u32> {
    Ok(1)
}
async fn a2() -> std::io::Result<u32> {
    Ok(2)
}
async fn a3() -> std::io::Result<u32> {
    Ok(3)
}
async fn a4() -> std::io::Result<u32> {
    Ok(4)
}
async fn a5() -> std::io::Result<u32> {
    Ok(5)
}
async fn a6() -> std::io::Result<u32> {
    Ok(6)
}
async fn a7() -> std::io::Result<u32> {
    Ok(7)
}
async fn a8() -> std::io::Result<u32> {
    Ok(8)
}

#[fallback(a1, a2, a3, a4, a5, a6, a7, a8)]
async fn fetch() -> std::io::Result<u32> {
    Ok(1)
}

fn main() {}
