//! The abstract syntax tree of rule files, with a [`Span`] on every node a
//! diagnostic can point at. Noun and qualifier phrases stay as word lists:
//! the compiler resolves them against the names in scope.

pub use crate::diag::{SourceId, Span};

/// One parsed rule file.
#[derive(Debug, Clone)]
pub struct Module {
    pub source: SourceId,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Rule(Box<RuleDecl>),
    Noun(NounDef),
    Collection(CollectionDef),
    Qualifier(QualifierDef),
    Value(ValueDef),
}

/// A text with the span it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub text: String,
    pub span: Span,
}

/// `rule ID { BODY  key: value ... }`
#[derive(Debug, Clone)]
pub struct RuleDecl {
    pub id: Text,
    pub body: Option<Expr>,
    pub severity: Option<Text>,
    pub title: Option<Text>,
    pub why: Option<Text>,
    pub fix: Option<Text>,
    pub example: Option<Text>,
    pub tags: Vec<Text>,
    pub message: Option<Text>,
    pub except: Option<Expr>,
    pub span: Span,
}

/// `noun NAME = NOUN-PHRASE`
#[derive(Debug, Clone)]
pub struct NounDef {
    pub name: Text,
    pub params: Vec<Text>,
    pub np: NounPhrase,
    pub span: Span,
}

/// `noun NAME for PARENT, ... = EXPR`: a nested collection (containers,
/// ports, subjects) reached from a parent noun.
#[derive(Debug, Clone)]
pub struct CollectionDef {
    pub name: Text,
    pub parents: Vec<Text>,
    pub expr: Expr,
    pub span: Span,
}

/// `qualifier WORDS [(PARAMS)] for NOUN, ... = CONDITION`
#[derive(Debug, Clone)]
pub struct QualifierDef {
    /// The words of the name joined by one space (`deny-all by default`).
    pub name: Text,
    pub params: Vec<Text>,
    pub nouns: Vec<Text>,
    pub body: Expr,
    pub span: Span,
}

/// `value NAME [(PARAMS)] = EXPR`
#[derive(Debug, Clone)]
pub struct ValueDef {
    pub name: Text,
    pub params: Vec<Text>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `all envs [filters] agree on VALUE`
    Agree {
        filters: Vec<Filter>,
        value: Box<Expr>,
    },
    /// `env prod has ...`
    EnvSubject {
        env: EnvSel,
        pred: Pred,
    },
    /// `QUANT NOUN-PHRASE [PREDICATE]`
    Quantified {
        quant: Quant,
        np: NounPhrase,
        pred: Option<Pred>,
    },
    /// `NOUN-PHRASE [PREDICATE]` with no quantifier: a plural subject
    /// (`namespaces deny-all by default`), or a condition on the current
    /// object (`gpu-workload`, `spec.replicas`, `system`).
    Bare {
        np: NounPhrase,
        pred: Option<Pred>,
    },
    /// `has X` with no subject: the current object or env has X.
    Has(Box<Expr>),
    /// `VALUE TEST`: comparisons and tests.
    Test {
        value: Box<Expr>,
        test: Test,
    },
    Lit(Lit),
    Path(Path),
    /// `NAME(ARGS)` with an optional path after it.
    Call {
        name: Text,
        args: Vec<Expr>,
        tail: Vec<Seg>,
    },
    /// `env`, `env.name`, `env.tags`
    EnvRef(Vec<Seg>),
    /// `counterpart in env prod`
    Counterpart(EnvSel),
    /// `{ VALUE for NOUN-PHRASE }`
    Comprehension {
        value: Box<Expr>,
        np: NounPhrase,
    },
    Map(Vec<(Text, Expr)>),
    List(Vec<Expr>),
    /// `$...`: full JSONPath, evaluated on the current object.
    JsonPath(String),
    /// `a + b + c`
    Add(Vec<Expr>),
    /// `a - b`, `a * b` (`*` binds tighter than `+` and `-`).
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `(EXPR).path`
    Paren {
        expr: Box<Expr>,
        tail: Vec<Seg>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    Every,
    Some,
    No,
    AtLeast(u64),
    AtMost(u64),
    Exactly(u64),
}

impl std::fmt::Display for Quant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quant::Every => write!(f, "every"),
            Quant::Some => write!(f, "some"),
            Quant::No => write!(f, "no"),
            Quant::AtLeast(n) => write!(f, "at least {n}"),
            Quant::AtMost(n) => write!(f, "at most {n}"),
            Quant::Exactly(n) => write!(f, "exactly {n}"),
        }
    }
}

/// `-` or `*` between two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Sub,
    Mul,
}

/// Words naming qualifiers and a noun, then filters.
#[derive(Debug, Clone)]
pub struct NounPhrase {
    pub words: Vec<Word>,
    /// More nouns joined to the first by `or` (`rolebinding or
    /// clusterrolebinding`): the phrase ranges over their union.
    pub alts: Vec<Vec<Word>>,
    pub filters: Vec<Filter>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Word {
    /// A plain word: a noun, a qualifier word, or a one-segment path.
    Name(Text),
    /// `nvidia.com/gpu`: an extended resource name.
    Resource(Text),
    /// `resource("nvidia.com/gpu")`: a qualifier or noun with arguments.
    Call { name: Text, args: Vec<Expr>, span: Span },
    /// `env` / `envs`
    Env(Span),
    /// A path of more than one segment (`spec.replicas`).
    Path(Path),
}

impl Word {
    pub fn span(&self) -> Span {
        match self {
            Word::Name(t) | Word::Resource(t) => t.span,
            Word::Call { span, .. } | Word::Env(span) => *span,
            Word::Path(p) => p.span,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Filter {
    With(Expr),
    Where(Expr),
    In(Scope, Span),
    NotIn(Scope, Span),
    As(Text),
    Tagged(Text),
    Counterpart { env: EnvSel, bind: Option<Text>, span: Span },
}

#[derive(Debug, Clone)]
pub enum Scope {
    Env(EnvSel),
    Namespace(Expr),
}

/// Which envs.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvSel {
    pub kind: EnvSelKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EnvSelKind {
    Every,
    Others,
    Tagged(String),
    Named(String),
    Reference,
    Previous,
    Next,
}

#[derive(Debug, Clone)]
pub struct Pred {
    pub kind: PredKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum PredKind {
    /// `has CONDITION-OR-NOUN-PHRASE`
    Has(Box<Expr>),
    /// `exists in ENVS`
    ExistsIn(EnvSel),
    /// `is [not] QUALIFIER`
    Is { negated: bool, words: Vec<Word> },
    /// A qualifier used as a verb phrase: `deny-all by default`.
    Verb(Vec<Word>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Test {
    Cmp(CmpOp, Box<Expr>),
    Missing { negated: bool },
    Empty { negated: bool },
    Null { negated: bool },
    Exists,
    In { negated: bool, rhs: Box<Expr> },
    Like { negated: bool, rhs: Box<Expr> },
    Matches { negated: bool, rhs: Box<Expr> },
    StartsWith { negated: bool, rhs: Box<Expr> },
    EndsWith { negated: bool, rhs: Box<Expr> },
    Contains { negated: bool, rhs: Box<Expr> },
    SubsetOf(Box<Expr>),
    SameSetAs(Box<Expr>),
}

/// `head.seg.seg[...]`
#[derive(Debug, Clone)]
pub struct Path {
    pub head: Text,
    pub segs: Vec<Seg>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Seg {
    Key(String),
    Index(i64),
    Star,
    Expr(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Quantity(String),
    Version(String),
}
