#include "call_arena.hpp"

#include <cstdlib>
#include <new>

namespace dispatch::wasm {

void* call_arena::allocate(std::size_t size) {
  // Every allocation its own address, even of zero bytes, as new requires.
  size = size == 0 ? 8 : (size + 7) & ~std::size_t{7};
  if (size > end_ - top_ && !grow(size)) return nullptr;
  const auto at = top_;
  top_ += size;
  return reinterpret_cast<void*>(at);
}

bool call_arena::grow(std::size_t size) {
  // Each chunk twice the last (a 1 MiB body's DOM takes a handful), and at least the request.
  std::size_t capacity = last_ == nullptr ? first_chunk : 2 * last_->size;
  if (capacity < size) capacity = size;
  auto* fresh = static_cast<chunk*>(std::malloc(header + capacity));
  if (fresh == nullptr) return false;
  fresh->previous = last_;
  fresh->size = capacity;
  last_ = fresh;
  top_ = reinterpret_cast<std::uintptr_t>(fresh) + header;
  end_ = top_ + capacity;
  return true;
}

bool call_arena::owns(const void* pointer) const {
  const auto at = reinterpret_cast<std::uintptr_t>(pointer);
  for (const chunk* c = last_; c != nullptr; c = c->previous) {
    const auto begin = reinterpret_cast<std::uintptr_t>(c) + header;
    if (at >= begin && at < begin + c->size) return true;
  }
  return false;
}

void call_arena::release() {
  while (last_ != nullptr) {
    chunk* previous = last_->previous;
    std::free(last_);
    last_ = previous;
  }
  top_ = end_ = 0;
}

namespace {

call_arena arena;
bool in_call = false;

void* allocate(std::size_t size) {
  void* pointer = in_call ? arena.allocate(size) : std::malloc(size == 0 ? 1 : size);
  // The core is built without exceptions: out of memory is an abort, as -sABORTING_MALLOC makes malloc's.
  if (pointer == nullptr) std::abort();
  return pointer;
}

void deallocate(void* pointer) {
  if (pointer == nullptr) return;
  // Within a call, what the arena handed out goes back with the whole arena at the call's end.
  if (in_call && arena.owns(pointer)) return;
  std::free(pointer);
}

}  // namespace

call_scope::call_scope() { in_call = true; }

call_scope::~call_scope() {
  in_call = false;
  arena.release();
}

}  // namespace dispatch::wasm

// The replaceable global allocation functions. The nothrow and aligned forms keep the standard library's
// definitions: the nothrow ones call these, and the aligned ones (which nothing on the delivery path uses)
// go to malloc and free on their own.
void* operator new(std::size_t size) { return dispatch::wasm::allocate(size); }
void* operator new[](std::size_t size) { return dispatch::wasm::allocate(size); }
void operator delete(void* pointer) noexcept { dispatch::wasm::deallocate(pointer); }
void operator delete[](void* pointer) noexcept { dispatch::wasm::deallocate(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { dispatch::wasm::deallocate(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { dispatch::wasm::deallocate(pointer); }
