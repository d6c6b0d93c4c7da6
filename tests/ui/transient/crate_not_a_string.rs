use resilient_async::Transient;

#[derive(Transient)]
#[resilient(crate = resilient)]
#[transient]
struct Busy;

fn main() {}
