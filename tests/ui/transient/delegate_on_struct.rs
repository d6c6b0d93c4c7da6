use resilient::Transient;

#[derive(Transient)]
#[delegate]
struct Wrapper(std::io::Error);

fn main() {}
