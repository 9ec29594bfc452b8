//! Which items are shown, given the answers, evaluated incrementally: an answer re-evaluates only
//! the items whose conditions read it, and, if their visibility changed, the items that read
//! those (a hidden item counts as unanswered). Templates are acyclic (checked when loaded), so
//! evaluation in topological order is well defined.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

use super::condition::Condition;
use super::template::Template;

/// Which items of a template are shown for the current answers, kept up to date incrementally
/// ([`Visibility::answer_changed`]).
pub struct Visibility {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    conditions: Vec<Option<Condition>>,
    /// Items whose condition reads item `i`.
    dependents: Vec<Vec<usize>>,
    /// Position of each item in a topological order (dependencies first).
    rank: Vec<usize>,
    visible: Vec<bool>,
}

/// What one re-evaluation did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reevaluation {
    /// Items whose visibility changed.
    pub changed: Vec<String>,
    /// How many conditions were evaluated.
    pub evaluated: usize,
}

impl Visibility {
    /// Builds the dependency graph of a validated template and evaluates every item.
    pub fn new(t: &Template, answers: &HashMap<String, Json>) -> Self {
        let items: Vec<_> = t.items().map(|(_, i)| i).collect();
        let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let index: HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let conditions: Vec<Option<Condition>> =
            items.iter().map(|i| i.visible_if.clone()).collect();
        let mut dependents = vec![Vec::new(); ids.len()];
        let mut deps = vec![Vec::new(); ids.len()];
        for (i, c) in conditions.iter().enumerate() {
            for (_, target) in c.iter().flat_map(|c| c.references()) {
                if let Some(&t) = index.get(target)
                    && !deps[i].contains(&t)
                {
                    deps[i].push(t);
                    dependents[t].push(i);
                }
            }
        }
        let rank = topological_rank(&deps);
        let mut v = Visibility {
            ids,
            index,
            conditions,
            dependents,
            rank,
            visible: Vec::new(),
        };
        v.visible = vec![true; v.ids.len()];
        let mut order: Vec<usize> = (0..v.ids.len()).collect();
        order.sort_by_key(|&i| v.rank[i]);
        for i in order {
            v.visible[i] = v.eval(i, answers);
        }
        v
    }

    /// Whether `item` is shown (`false` for an id the template lacks).
    pub fn is_visible(&self, item: &str) -> bool {
        self.index.get(item).is_some_and(|&i| self.visible[i])
    }

    /// Visible item ids, in template order.
    pub fn visible_items(&self) -> impl Iterator<Item = &str> {
        self.ids
            .iter()
            .zip(&self.visible)
            .filter(|(_, v)| **v)
            .map(|(id, _)| id.as_str())
    }

    /// Re-evaluates what depends on `item` after its answer changed (`answers` already holds
    /// the new answer).
    pub fn answer_changed(&mut self, item: &str, answers: &HashMap<String, Json>) -> Reevaluation {
        let mut out = Reevaluation::default();
        let Some(&start) = self.index.get(item) else {
            return out;
        };
        // Work in topological order so each item is evaluated once, after what it reads.
        let mut queue: BTreeSet<(usize, usize)> = self.dependents[start]
            .iter()
            .map(|&d| (self.rank[d], d))
            .collect();
        while let Some((_, i)) = queue.pop_first() {
            out.evaluated += 1;
            let now = self.eval(i, answers);
            if now != self.visible[i] {
                self.visible[i] = now;
                out.changed.push(self.ids[i].clone());
                queue.extend(self.dependents[i].iter().map(|&d| (self.rank[d], d)));
            }
        }
        out
    }

    fn eval(&self, i: usize, answers: &HashMap<String, Json>) -> bool {
        let Some(cond) = &self.conditions[i] else {
            return true;
        };
        let value_of = |id: &str| -> Option<&Json> {
            let &j = self.index.get(id)?;
            if self.visible[j] {
                answers.get(id)
            } else {
                None
            }
        };
        cond.eval(&value_of)
    }
}

/// Rank of each node so that every dependency ranks lower (Kahn's algorithm); nodes in a cycle
/// (rejected at load, so only for unvalidated input) rank last.
fn topological_rank(deps: &[Vec<usize>]) -> Vec<usize> {
    let n = deps.len();
    let mut remaining: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut users = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            users[d].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut rank = vec![usize::MAX; n];
    let mut next = 0;
    while let Some(i) = ready.pop() {
        rank[i] = next;
        next += 1;
        for &u in &users[i] {
            remaining[u] -= 1;
            if remaining[u] == 0 {
                ready.push(u);
            }
        }
    }
    rank
}
