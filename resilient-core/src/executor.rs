//! The tutorial's executor: async tools registered by name, each run with
//! the recovery its named [policy](crate::policy) gives it (breaker,
//! timeout, retry, then its fallback tools by name).
//!
//! ```
//! use std::io;
//! use resilient_core::executor::Executor;
//! use resilient_core::policy::Policies;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! let mut tools: Executor<String, String, io::Error> = Executor::new();
//! tools.register("gpt4_vision", |_receipt: String| async { Err(io::ErrorKind::ConnectionReset.into()) });
//! tools.register("local_ocr", |receipt: String| async move { Ok(format!("read {receipt}")) });
//! tools.set_policies(Policies::from_toml(r#"
//!     [gpt4_vision]
//!     fallback = ["local_ocr"]
//!     [gpt4_vision.retry]
//!     max = 2
//!     backoff = "1s"
//! "#).unwrap());
//!
//! assert_eq!(tools.run("gpt4_vision", "r1".to_string()).await.unwrap(), "read r1");
//! assert!(tools.run("no_such_tool", "r1".to_string()).await.is_err());
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::circuit_breaker::CircuitBreaker;
use crate::policy::{Policies, Policy};
use crate::timeout::TimeLimit;
use crate::{ByTransient, CircuitOpen, TimedOut, Transient};

type Call<Resp, E> = Pin<Box<dyn Future<Output = Result<Resp, E>> + Send>>;
type Tool<Req, Resp, E> = Box<dyn Fn(Req) -> Call<Resp, E> + Send + Sync>;

/// Why the executor returned an error.
#[derive(Debug)]
pub enum ExecError<E> {
    /// No tool is registered under this name (nor, for a fallback, under
    /// the name the policy gives).
    UnknownTool(String),
    /// The tool, its retries and its fallbacks all failed: the last error.
    Failed(E),
}

impl<E: fmt::Display> fmt::Display for ExecError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::UnknownTool(name) => write!(f, "no tool named `{name}`"),
            ExecError::Failed(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ExecError<E> {}

/// Tools taking a `Req` and returning `Result<Resp, E>`, run by name.
pub struct Executor<Req, Resp, E> {
    tools: HashMap<String, Tool<Req, Resp, E>>,
    policies: Option<Arc<Policies>>,
    breakers: Mutex<HashMap<String, Arc<CircuitBreaker>>>,
}

impl<Req, Resp, E> fmt::Debug for Executor<Req, Resp, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("tools", &self.tools.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<Req, Resp, E> Default for Executor<Req, Resp, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Req, Resp, E> Executor<Req, Resp, E> {
    /// No tools; the policies of [`policy::load`](crate::policy::load)
    /// until [`set_policies`](Self::set_policies).
    pub fn new() -> Self {
        Executor {
            tools: HashMap::new(),
            policies: None,
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// Registers `tool` under `name`, replacing any tool of that name.
    pub fn register<F, Fut>(&mut self, name: impl Into<String>, tool: F)
    where
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, E>> + Send + 'static,
    {
        self.tools
            .insert(name.into(), Box::new(move |req| Box::pin(tool(req))));
    }

    /// Uses these policies rather than the loaded ones.
    pub fn set_policies(&mut self, policies: Policies) {
        self.policies = Some(Arc::new(policies));
    }

    fn policy(&self, name: &str) -> Policy {
        match &self.policies {
            Some(p) => p.get(name).cloned(),
            None => crate::policy::get(name),
        }
        .unwrap_or_default()
    }

    /// The breaker in front of the tool called `name`, once it has run with
    /// a policy that has one.
    pub fn breaker_of(&self, name: &str) -> Option<Arc<CircuitBreaker>> {
        self.breakers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// The tool's breaker, kept while its policy's breaker settings stay.
    fn breaker(&self, name: &str, policy: &Policy) -> Option<Arc<CircuitBreaker>> {
        let settings = policy.circuit_breaker?;
        let mut breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        let b = breakers
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(CircuitBreaker::new(leak(name), settings)));
        if *b.policy() != settings {
            *b = Arc::new(CircuitBreaker::new(leak(name), settings));
        }
        Some(b.clone())
    }
}

/// Breaker names are `&'static`: one small leak per tool whose breaker
/// settings change, which operators do rarely.
fn leak(name: &str) -> &'static str {
    Box::leak(name.to_string().into_boxed_str())
}

impl<Req, Resp, E> Executor<Req, Resp, E>
where
    Req: Clone,
    E: Transient + From<TimedOut> + From<CircuitOpen> + fmt::Display,
{
    /// Runs the tool called `name` with its policy, then each of its
    /// fallback tools (with theirs, but not their own fallbacks) until one
    /// succeeds.
    ///
    /// # Errors
    /// [`ExecError::UnknownTool`] for a name (or a fallback name) that is
    /// not registered; otherwise the last tool's last error.
    pub async fn run(&self, name: &str, req: Req) -> Result<Resp, ExecError<E>> {
        let policy = self.policy(name);
        let mut out = self.run_one(name, &policy, req.clone()).await;
        for next in &policy.fallback {
            match out {
                Err(ExecError::Failed(ref e)) => {
                    tracing::warn!(target: "resilient", tool = name, next = next.as_str(), error = %e, "tool failed; falling back");
                }
                _ => return out,
            }
            out = self.run_one(next, &self.policy(next), req.clone()).await;
        }
        out
    }

    async fn run_one(&self, name: &str, policy: &Policy, req: Req) -> Result<Resp, ExecError<E>> {
        let tool = self
            .tools
            .get(name)
            .ok_or_else(|| ExecError::UnknownTool(name.to_string()))?;
        let breaker = self.breaker(name, policy);
        // One attempt: breaker(timeout(tool)). The tool is called inside
        // the async block, so only once the breaker has admitted the call.
        let attempt = || {
            let call = async {
                TimeLimit::new(policy.timeout, "executor", None, E::from, tool(req.clone())).await
            };
            async {
                match &breaker {
                    Some(b) => b.call(call).await,
                    None => call.await,
                }
            }
        };
        match &policy.retry {
            Some(retry) => retry
                .run_with(&ByTransient, "executor", None, attempt)
                .await
                .map_err(ExecError::Failed),
            None => attempt().await.map_err(ExecError::Failed),
        }
    }
}
