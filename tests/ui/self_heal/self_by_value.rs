use resilient_async::{self_heal, Heal};

struct Client;

impl Client {
    async fn diagnose(&self, _error: &std::io::Error) -> Heal {
        Heal::Retry
    }

    #[self_heal(diagnoser = diagnose)]
    async fn fetch(self) -> std::io::Result<u32> {
        Ok(1)
    }
}

fn main() {}
