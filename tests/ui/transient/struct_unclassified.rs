use resilient::Transient;

#[derive(Transient)]
struct Busy {
    code: u16,
}

fn main() {}
