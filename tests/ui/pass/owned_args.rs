use std::io;

use resilient_async::retry;

#[retry(max = 2)]
async fn consume(name: String, bytes: Vec<u8>) -> io::Result<(String, Vec<u8>)> {
    Ok((name, bytes))
}

#[retry(max = 2)]
async fn mutate(mut name: String, mut count: u32) -> io::Result<String> {
    name.push('!');
    count += 1;
    Ok(format!("{name}{count}"))
}

#[retry(max = 2)]
async fn tuple((a, b): (u8, String), [x, y]: [u16; 2]) -> io::Result<String> {
    Ok(format!("{a}{b}{x}{y}"))
}

#[derive(Clone, Copy)]
struct Point {
    x: i32,
    y: i32,
}

#[retry(max = 2)]
async fn copied(n: u64, flag: bool, Point { x, y }: Point, p: Point) -> io::Result<i64> {
    Ok(n as i64 + i64::from(flag) + i64::from(x + y) + i64::from(p.x))
}

#[retry(max = 2)]
async fn by_ref(ref text: String, _unused: Vec<u8>) -> io::Result<usize> {
    Ok(text.len())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (name, bytes) = consume("a".to_owned(), vec![1]).await.unwrap();
    assert_eq!((name.as_str(), bytes.as_slice()), ("a", &[1][..]));
    assert_eq!(mutate("b".to_owned(), 1).await.unwrap(), "b!2");
    assert_eq!(tuple((1, "c".to_owned()), [2, 3]).await.unwrap(), "1c23");
    assert_eq!(copied(1, true, Point { x: 1, y: 2 }, Point { x: 3, y: 0 }).await.unwrap(), 8);
    assert_eq!(by_ref("abc".to_owned(), Vec::new()).await.unwrap(), 3);
}
