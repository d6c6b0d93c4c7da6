//! The tutorial's executor: async tools registered by name, each run with
//! the recovery its named [policy](crate::policy) gives it, through the
//! same engines as the attributes, in the same order: its fallback tools
//! by name, around its retries, around its breaker, around its timeout.
//!
//! Every tool has its own figures ([`metrics::get`](crate::metrics::get)
//! finds them by the tool's name) and its own breaker, both listed while
//! the executor lives; its `tracing` events carry its name.
//!
//! ```
//! use std::io;
//! use std::time::Duration;
//! use resilient_core::executor::Executor;
//! use resilient_core::policy::{Policies, Policy};
//! use resilient_core::RetryConfig;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! let mut tools: Executor<String, String, io::Error> = Executor::new();
//! tools.register("gpt4_vision", |_receipt: String| async { Err(io::ErrorKind::ConnectionReset.into()) });
//! tools.register("local_ocr", |receipt: String| async move { Ok(format!("read {receipt}")) });
//! let mut policies = Policies::new();
//! policies.insert("gpt4_vision", Policy {
//!     retry: Some(RetryConfig::new().max_retries(2).backoff(Duration::from_secs(1)).build().unwrap()),
//!     fallback: vec!["local_ocr".into()],
//!     ..Policy::default()
//! });
//! tools.set_policies(policies);
//!
//! assert_eq!(tools.run("gpt4_vision", "r1".to_string()).await.unwrap(), "read r1");
//! assert!(tools.run("no_such_tool", "r1".to_string()).await.is_err());
//! let vision = tools.metrics("gpt4_vision").unwrap().snapshot();
//! assert_eq!((vision.calls, vision.attempts, vision.failures), (1, 3, 1));
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::circuit_breaker::CircuitBreaker;
use crate::metrics::Metrics;
use crate::policy::{Policies, Policy};
use crate::retry::Retrying;
use crate::timeout::TimeLimit;
use crate::{ByTransient, Call, CircuitOpen, RetryConfig, RetryPolicy, Step, TimedOut, Transient};

type Run<Resp, E> = Pin<Box<dyn Future<Output = Result<Resp, E>> + Send>>;
type ToolFn<Req, Resp, E> = Box<dyn Fn(Req) -> Run<Resp, E> + Send + Sync>;

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

/// One registered tool: how to run it, its figures, its breaker.
struct Tool<Req, Resp, E> {
    run: ToolFn<Req, Resp, E>,
    metrics: Arc<Metrics>,
    breaker: Mutex<Option<Arc<CircuitBreaker>>>,
}

impl<Req, Resp, E> Tool<Req, Resp, E> {
    /// The tool's breaker under `policy`, made afresh when its settings
    /// change.
    fn breaker(&self, name: &str, policy: &Policy) -> Option<Arc<CircuitBreaker>> {
        let settings = policy.circuit_breaker?;
        let mut slot = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some(b) if *b.policy() == settings => {}
            _ => *slot = Some(CircuitBreaker::shared(name.to_string(), settings)),
        }
        slot.clone()
    }
}

/// Tools taking a `Req` and returning `Result<Resp, E>`, run by name.
pub struct Executor<Req, Resp, E> {
    tools: HashMap<String, Tool<Req, Resp, E>>,
    /// Policies given at registration.
    own: HashMap<String, Policy>,
    policies: Option<Arc<Policies>>,
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

/// A tool without a retry section runs once.
const ONCE: RetryPolicy = match RetryConfig::new().max_retries(0).build() {
    Ok(p) => p,
    Err(_) => panic!("zero retries pass the rules"),
};

impl<Req, Resp, E> Executor<Req, Resp, E> {
    /// No tools; the loaded policies ([`policy::current`](crate::policy::current))
    /// until [`set_policies`](Self::set_policies).
    pub fn new() -> Self {
        Executor {
            tools: HashMap::new(),
            own: HashMap::new(),
            policies: None,
        }
    }

    /// Registers `tool` under `name`, replacing any tool of that name.
    pub fn register<F, Fut>(&mut self, name: impl Into<String>, tool: F)
    where
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, E>> + Send + 'static,
    {
        let name = name.into();
        let tool = Tool {
            run: Box::new(move |req| Box::pin(tool(req))),
            metrics: Metrics::shared(name.clone()),
            breaker: Mutex::new(None),
        };
        self.tools.insert(name, tool);
    }

    /// Registers `tool` under `name` with its own `policy` (the tutorial's
    /// `registry.register(tool, error_policy=...)`): it is used for this
    /// tool in place of the loaded or set policies.
    ///
    /// ```
    /// use std::io;
    /// use resilient_core::executor::Executor;
    /// use resilient_core::policy::Policy;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let mut tools: Executor<u32, u32, io::Error> = Executor::new();
    /// tools.register_with("vision", Policy::falling_back(["local"]), |_| async {
    ///     Err(io::ErrorKind::ConnectionRefused.into())
    /// });
    /// tools.register("local", |n| async move { Ok(n) });
    /// assert_eq!(tools.run("vision", 7).await.unwrap(), 7);
    /// // One call with another policy: no fallback.
    /// assert!(tools.run_with("vision", 7, &Policy::default()).await.is_err());
    /// # }
    /// ```
    pub fn register_with<F, Fut>(&mut self, name: impl Into<String>, policy: Policy, tool: F)
    where
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, E>> + Send + 'static,
    {
        let name = name.into();
        self.register(name.clone(), tool);
        self.own.insert(name, policy);
    }

    /// Uses these policies rather than the loaded ones.
    pub fn set_policies(&mut self, policies: Policies) {
        self.policies = Some(Arc::new(policies));
    }

    /// The policy `name` runs with: its own, else the set or loaded one.
    pub fn policy(&self, name: &str) -> Policy {
        if let Some(own) = self.own.get(name) {
            return own.clone();
        }
        match &self.policies {
            Some(p) => p.get(name).cloned(),
            None => crate::policy::get(name),
        }
        .unwrap_or_default()
    }

    /// The figures of the tool called `name`.
    pub fn metrics(&self, name: &str) -> Option<Arc<Metrics>> {
        self.tools.get(name).map(|t| t.metrics.clone())
    }

    /// The breaker in front of the tool called `name`, once it has run with
    /// a policy that has one.
    pub fn breaker_of(&self, name: &str) -> Option<Arc<CircuitBreaker>> {
        let tool = self.tools.get(name)?;
        let slot = tool.breaker.lock().unwrap_or_else(|p| p.into_inner());
        slot.clone()
    }
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
        self.run_with(name, req, &self.policy(name)).await
    }

    /// [`run`](Self::run) with `policy` for this call (the tutorial's
    /// `execute_with_recovery(tool_name, params, policy)`); the fallback
    /// tools run with their own.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    pub async fn run_with(
        &self,
        name: &str,
        req: Req,
        policy: &Policy,
    ) -> Result<Resp, ExecError<E>> {
        let mut out = self.run_one(name, policy, req.clone()).await;
        for next in &policy.fallback {
            match out {
                Err(ExecError::Failed(ref e)) => {
                    tracing::warn!(target: "resilient", function = name, next = next.as_str(), error = %e, "tool failed; falling back");
                }
                _ => return out,
            }
            out = self.run_one(next, &self.policy(next), req.clone()).await;
        }
        out
    }

    /// One tool under its policy: retry(breaker(timeout(tool))).
    async fn run_one(&self, name: &str, policy: &Policy, req: Req) -> Result<Resp, ExecError<E>> {
        let tool = self
            .tools
            .get(name)
            .ok_or_else(|| ExecError::UnknownTool(name.to_string()))?;
        let breaker = tool.breaker(name, policy);
        let metrics = &*tool.metrics;
        let retry_policy = policy.retry.unwrap_or(ONCE);
        let mut call = Call::new(metrics);
        let mut retry = Retrying::new(&retry_policy, &mut call);
        let out = loop {
            // The tool is called inside the async block, so only once the
            // breaker has admitted the attempt.
            let attempt = async {
                TimeLimit::new(
                    policy.timeout,
                    metrics,
                    E::from,
                    None,
                    (tool.run)(req.clone()),
                )
                .await
            };
            let guarded = async {
                match &breaker {
                    Some(b) => {
                        b.call_with(crate::fallback::always, Some(metrics), attempt)
                            .await
                    }
                    None => attempt.await,
                }
            };
            let out = retry.attempt(&mut call, E::from, guarded).await;
            match retry.after(&mut call, out, &ByTransient, |e| e) {
                Step::Done(out) => break out,
                Step::Retry(delay) => crate::timer::sleep(delay).await,
                Step::Heal(_) | Step::Next => unreachable!("a retry only retries or ends"),
            }
        };
        call.finish_showing(&out, |e| e);
        out.map_err(ExecError::Failed)
    }
}
