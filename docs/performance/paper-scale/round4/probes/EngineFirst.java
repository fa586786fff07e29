/** CostCurve with DJL's PyTorch engine started in the process first (the F32 separate-process gap test). */
public class EngineFirst {
    public static void main(String[] args) throws Exception {
        ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
        System.err.println("engine started first: " + engine.getEngineName() + " " + engine.getVersion());
        io.github.sdsat.bench.CostCurve.main(args);
    }
}
