use resilient_async::Transient;

#[derive(Transient)]
struct Busy {
    code: u16,
}

fn main() {}
