use resilient::Transient;

#[derive(Transient)]
#[resilient(path = "crate::reexport")]
#[transient]
struct Busy;

fn main() {}
