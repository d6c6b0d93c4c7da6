// The diagnoser borrows the receiver shared, even in a `&mut self` method.
use resilient_async::{self_heal, Heal};

struct Client {
    token: u32,
}

impl Client {
    async fn refresh(&mut self, _error: &std::io::Error) -> Heal {
        self.token += 1;
        Heal::Retry
    }

    #[self_heal(diagnoser = refresh)]
    async fn fetch(&mut self) -> std::io::Result<u32> {
        Ok(self.token)
    }
}

fn main() {}
