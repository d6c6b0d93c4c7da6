use resilient_async::Transient;

#[derive(Transient)]
#[resilient(path = "crate::reexport")]
#[transient]
struct Busy;

fn main() {}
