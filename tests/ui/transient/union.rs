use resilient_async::Transient;

#[derive(Transient)]
#[transient]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
