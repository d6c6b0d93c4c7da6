use resilient_async::fallback;

trait Ocr {
    #[fallback(backup)]
    async fn read(&self) -> std::io::Result<u32>;

    async fn backup(&self) -> std::io::Result<u32>;
}

fn main() {}
