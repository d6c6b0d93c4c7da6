use resilient::Transient;

#[derive(Transient)]
#[resilient(crate = resilient)]
#[transient]
struct Busy;

fn main() {}
